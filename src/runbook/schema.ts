/**
 * The runbook format as zod schemas. These are the single source of truth: the loader
 * validates with them and `cutover schema` prints the JSON Schema generated from them.
 * Rules that need the whole document (duplicate ids, rollbacks, variables) live in
 * semantics.ts.
 */
import { z } from 'zod';
import { DURATION_PATTERN, MAX_DURATION_MS, isDuration, parseDuration } from './duration.js';
import { metricCheckSchemas } from './schema-metrics.js';
import { closest } from './suggest.js';
import { notifyBlock } from './notify.js';

export const FORMAT_VERSION = 1;
export const ID_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/**
 * Names and step ids become file names (the journal, its lock, the step logs), which file
 * systems limit to 255 bytes; 100 leaves room for what is added to them.
 */
export const MAX_NAME_LENGTH = 100;
/** A step id before `foreach` expansion may contain `${item}` (or `${item.field}`) placeholders. */
const TEMPLATE_ID_PATTERN = '^([a-z0-9-]|\\$\\{[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?\\})+$';
/** A value that is one reference, typed after interpolation (a weight, a duration). */
export const REFERENCE_PATTERN = '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?\\}$';
const REFERENCE_RE = new RegExp(REFERENCE_PATTERN);
const VAR_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/** Message per unknown key, one line each in the order zod lists them (see issues.ts). */
function unknownKeyMessages(keys: readonly string[], known: readonly string[], where: string): string {
  return keys
    .map((key) => {
      const guess = closest(key, known);
      const hint = guess ? `did you mean "${guess}"?` : `allowed keys: ${known.join(', ')}`;
      return `unknown key "${key}" in ${where}; ${hint}`;
    })
    .join('\n');
}

function strict<T extends z.ZodRawShape>(shape: T, where: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKeyMessages(issue.keys, known, where) : undefined),
  });
}

const duration = z
  .string({ error: 'expected a duration such as 30s, 15m or 1h30m' })
  .regex(new RegExp(DURATION_PATTERN), {
    error: (issue) => `"${String(issue.input)}" is not a duration; write it like 30s, 15m or 1h30m (a unit is required)`,
  })
  .refine((text) => text !== '', { error: 'empty duration; write it like 30s, 15m or 1h30m' })
  .refine((text) => (parseDuration(text) ?? 0) <= MAX_DURATION_MS, {
    error: (issue) => `"${String(issue.input)}" is longer than 365d, the longest duration cutover accepts`,
  })
  .meta({ description: 'A duration: 500ms, 30s, 15m, 1h30m, 2d', examples: ['30s', '15m', '1h30m'] });

/**
 * A step's durations may also be one reference (`${bake}`, `${step.bake}`), checked as a
 * duration once its value is known (semantics.ts checkTypedValues).
 */
const stepDuration = z
  .string({ error: 'expected a duration such as 30s, 15m or 1h30m, or a reference such as "${bake}"' })
  .refine((text) => REFERENCE_RE.test(text) || isDuration(text), {
    error: (issue) =>
      `"${String(issue.input)}" is not a duration; write it like 30s, 15m or 1h30m (a unit is required), or as one reference such as "\${bake}"`,
  })
  .refine((text) => REFERENCE_RE.test(text) || (parseDuration(text) ?? 0) <= MAX_DURATION_MS, {
    error: (issue) => `"${String(issue.input)}" is longer than 365d, the longest duration cutover accepts`,
  })
  .meta({
    description: 'A duration (500ms, 30s, 15m, 1h30m, 2d) or one reference to a value that is one ("${bake}")',
    examples: ['30s', '15m', '${step.bake}'],
  });

const envMap = z
  .record(z.string().regex(new RegExp(ENV_NAME_PATTERN), { error: 'environment variable names are letters, digits and _' }), z.string())
  .meta({ description: 'Environment variables for the command (values are interpolated as is)' });

const onFailure = z
  .enum(['ask', 'stop', 'rollback-step', 'rollback-all'], {
    error: 'onFailure must be one of: ask, stop, rollback-step, rollback-all',
  })
  .meta({
    description: 'What to do when the step fails: ask the operator (stop when nobody can be asked), stop, roll back this step, or roll back everything',
  });

/** A local path, or s3://bucket/key for a journal shared by several machines (${var} allowed). */
const journalLocation = z
  .string({ error: 'journal is a file path or an s3://bucket/key URL' })
  .min(1, { error: 'journal is a file path or an s3://bucket/key URL' })
  .refine((text) => !text.startsWith('s3://') || /^s3:\/\/[^/\s]+\/\S*[^/\s]$/.test(text), {
    error: 'an S3 journal is written s3://bucket/path/to/name.journal.jsonl (a bucket, then the key of the object)',
  })
  .refine((text) => text.startsWith('s3://') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(text), {
    error: 'journal is a file path or an s3:// URL; no other URL scheme is supported',
  })
  .meta({
    description:
      'Where the journal lives: a file path (relative to the runbook file) or s3://bucket/key, shared by every machine that runs this runbook (default .cutover/<name>.journal.jsonl next to the runbook); --journal overrides it',
    examples: ['s3://acme-cutover/journals/traffic-shift.journal.jsonl'],
  });

// ---- actions -------------------------------------------------------------------------

const shellScript = z.string().min(1, { error: 'empty shell script' }).meta({
  description: 'A shell script, run with `sh -c`; a ${var} reaches it as data, in the environment (never spliced into the script)',
});

export const shAction = strict(
  {
    sh: shellScript,
    shell: z.string().min(1).optional().meta({ description: 'Shell to run the script with (default sh)' }),
    cwd: z.string().optional(),
    env: envMap.optional(),
  },
  'a shell action',
);

export const execAction = strict(
  {
    exec: z
      .array(z.string(), { error: 'exec takes a list: [program, arg, ...]' })
      .min(1, { error: 'exec needs at least the program name' })
      .meta({ description: 'Program and arguments, run without a shell; ${var} inserted as is' }),
    cwd: z.string().optional(),
    env: envMap.optional(),
  },
  'an exec action',
);

export const manualAction = strict({ manual: z.string().min(1, { error: 'manual needs the instructions for the operator' }) }, 'a manual action');

export const waitAction = strict({ wait: stepDuration }, 'a wait action');

export const ROUTE53_MAX_WEIGHT = 255;
export const ELBV2_MAX_WEIGHT = 999;

function weights(max: number, service: string) {
  const number = z
    .number({ error: `a weight is a whole number from 0 to ${max}, or one reference such as "\${pct}"` })
    .int({ error: `a weight is a whole number from 0 to ${max}` })
    .min(0, { error: `${service} weights go from 0 to ${max}` })
    .max(max, { error: `${service} weights go from 0 to ${max}` });
  // One reference ("${pct}"), checked as a weight once its value is known (semantics.ts).
  const reference = z.string().regex(REFERENCE_RE, { error: `a weight is a whole number from 0 to ${max}, or one reference such as "\${pct}"` });
  return z
    .record(z.string().min(1), z.union([number, reference]), { error: `weights is a mapping of name to weight (0..${max})` })
    .refine((map) => Object.keys(map).length > 0, { error: 'weights needs at least one entry' });
}

export const route53Action = strict(
  {
    route53: strict(
      {
        zone: z.string().min(1).meta({ description: 'Hosted zone id (Z...) or name (example.com.)' }),
        name: z.string().min(1).meta({ description: 'Record name, e.g. app.example.com.' }),
        type: z.enum(['A', 'AAAA', 'CNAME'], { error: 'type must be A, AAAA or CNAME' }).optional(),
        weights: weights(ROUTE53_MAX_WEIGHT, 'Route 53').meta({ description: 'setIdentifier: weight (0..255)' }),
        wait: z.boolean().optional().meta({ description: 'Wait for the change to be INSYNC (default true)' }),
        allowAllZero: z.boolean().optional().meta({
          description: "Allow the weights after the step (the live ones with this step's applied) to be all 0; Route 53 then answers with every record equally",
        }),
      },
      'route53',
    ),
  },
  'a route53 action',
);

export const elbv2Action = strict(
  {
    elbv2: strict(
      {
        listener: z.string().min(1).optional().meta({ description: 'Listener ARN: change its default forward action' }),
        rule: z.string().min(1).optional().meta({ description: 'Rule ARN: change its forward action' }),
        weights: weights(ELBV2_MAX_WEIGHT, 'ELBv2').meta({ description: 'targetGroupArnOrName: weight (0..999)' }),
      },
      'elbv2',
    ),
  },
  'an elbv2 action',
);

export const action = z
  .union([shellScript, shAction, execAction, manualAction, waitAction, route53Action, elbv2Action])
  .meta({ description: 'A shell script string, or one of sh, exec, manual, wait, route53, elbv2' });

// ---- checks --------------------------------------------------------------------------

const retryFields = {
  retryFor: stepDuration.optional().meta({ description: 'Keep retrying the check until it passes or this long has passed' }),
  interval: stepDuration.optional().meta({ description: 'Time between retries (default 10s)' }),
};

const httpCheck = strict(
  {
    http: strict(
      {
        url: z.string().min(1),
        method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']).optional(),
        headers: z.record(z.string(), z.string()).optional(),
        expectStatus: z
          .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
          .optional()
          .meta({ description: 'Status code(s) that count as success (default 200)' }),
        bodyMatches: z.string().optional().meta({ description: 'Regular expression the body must match' }),
        samples: z.number().int().min(1).max(10_000).optional().meta({ description: 'Requests to make (default 1)' }),
        minSuccess: z.number().min(0).max(1).optional().meta({ description: 'Fraction of samples that must succeed (default 1)' }),
        interval: stepDuration.optional().meta({ description: 'Time between samples (default 1s)' }),
        timeout: stepDuration.optional().meta({ description: 'Timeout per request (default 10s)' }),
      },
      'http',
    ),
    ...retryFields,
  },
  'an http check',
);

const targetHealthCheck = strict(
  {
    elbv2TargetHealth: strict(
      {
        targetGroup: z.string().min(1).meta({ description: 'Target group ARN or name' }),
        minHealthy: z.number().int().min(0).optional().meta({ description: 'Healthy targets required (default 1)' }),
      },
      'elbv2TargetHealth',
    ),
    ...retryFields,
  },
  'an elbv2TargetHealth check',
);

const shCheck = strict({ ...shAction.shape, ...retryFields }, 'a shell check');
const execCheck = strict({ ...execAction.shape, ...retryFields }, 'an exec check');

const metricChecks = metricCheckSchemas({ strict, duration, retryFields });

export const singleCheck = z.union([
  shellScript,
  shCheck,
  execCheck,
  httpCheck,
  targetHealthCheck,
  metricChecks.cloudwatchAlarm,
  metricChecks.cloudwatchMetric,
  metricChecks.prometheus,
]);

export const check = z.union([singleCheck, z.array(singleCheck).min(1, { error: 'an empty list of checks checks nothing; remove the key instead' })]).meta({
  description: 'A shell script, {sh}, {exec}, {http}, {elbv2TargetHealth}, {cloudwatchAlarm}, {cloudwatchMetric}, {prometheus}, or a list (all must pass)',
});

// ---- steps ---------------------------------------------------------------------------

const explicitRollback = strict(
  {
    run: action.optional().meta({ description: 'How to undo the step (derived for route53/elbv2 when omitted)' }),
    verify: check.optional().meta({ description: 'Proves the rollback worked' }),
  },
  'rollback',
);

export const rollback = z
  .union([z.literal('none'), shellScript, shAction, execAction, manualAction, waitAction, route53Action, elbv2Action, explicitRollback])
  .meta({ description: '`none` (with `irreversible`), an action, or {run, verify}' });

const retryPolicy = strict(
  {
    attempts: z.number().int().min(1).max(100).meta({ description: 'Total attempts, including the first' }),
    delay: stepDuration.optional(),
  },
  'retry',
);

const foreachScalar = z.union([z.string(), z.number()]);
/** A mapping item ({pct: 5, bake: 30m}): its fields are read as ${item.pct}. */
const foreachMapping = z
  .record(
    z.string().regex(new RegExp(VAR_NAME_PATTERN), { error: 'the keys of a foreach item are letters, digits and _ (they are used as ${item.key})' }),
    z.union([z.string(), z.number(), z.boolean()]),
  )
  .refine((map) => Object.keys(map).length > 0, { error: 'an empty mapping gives the item no field; write {key: value, ...}' });
const foreachValues = z.union([
  z.array(foreachScalar).min(1, { error: 'foreach needs at least one item' }),
  z.array(foreachMapping).min(1, { error: 'foreach needs at least one item' }),
  z.string().meta({ description: 'A list variable, as "${name}"' }),
]);

export const foreach = z
  .record(z.string().regex(new RegExp(VAR_NAME_PATTERN), { error: 'the foreach item name is letters, digits and _ (it is used as ${name})' }), foreachValues)
  .refine((map) => Object.keys(map).length === 1, { error: 'foreach takes exactly one name: {app: [a, b]}' })
  .meta({
    description:
      'Expand into one step per item: {app: [billing, mail]}, {app: "${apps}"}, or a list of mappings {step: [{pct: 1, bake: 10m}, ...]} read as ${step.pct}',
  });

const stepShape = {
  id: z.string({ error: 'every step needs an id' }).regex(new RegExp(TEMPLATE_ID_PATTERN), {
    error: (issue) => `step id "${String(issue.input)}" must be lowercase letters, digits and dashes, starting with a letter or digit`,
  }),
  title: z.string().optional(),
  description: z.string().optional(),
  foreach: foreach.optional(),
  precheck: check.optional(),
  run: action
    .optional()
    .meta({ description: 'What the step does. Without it the step is check-only (a gate): its precheck and verify decide, and it has nothing to roll back' }),
  verify: check.optional(),
  rollback: rollback.optional(),
  irreversible: z.string().min(1, { error: 'irreversible needs a reason' }).optional(),
  timeout: stepDuration.optional(),
  retry: retryPolicy.optional(),
  confirm: z.boolean().optional(),
  skippable: z.boolean().optional().meta({
    description:
      'false: the operator cannot skip this step (a go/no-go that must be decided); default true, and skipping a manual step asks for its id and a reason',
  }),
  bake: stepDuration.optional(),
  watch: check.optional(),
  onFailure: onFailure.optional(),
};

export const step = strict(stepShape, 'a step');
export const STEP_KEYS: readonly string[] = Object.keys(stepShape);

/** The steps of a group: ordinary steps, without a foreach of their own (the group's repeats them), and no nested group. */
const groupStep = strict(
  {
    ...stepShape,
    id: z.string({ error: 'every step needs an id' }).regex(new RegExp(ID_PATTERN), {
      error: (issue) =>
        `the id of a step of a group ("${String(issue.input)}") is lowercase letters, digits and dashes, without references: the group adds its own id and the item (<group>-<item>-<step>)`,
    }),
    foreach: z
      .never({
        error:
          "a step of a group cannot have its own foreach: the group's foreach repeats all of its steps; move the step out of the group, or make it a group of its own",
      })
      .optional(),
    group: z
      .never({ error: "groups cannot be nested: a group's steps are ordinary steps; put the inner group after this one, or use a longer foreach" })
      .optional(),
  },
  'a step of a group',
);

export const group = strict(
  {
    group: z
      .string({ error: 'a group needs an id: group: <id>' })
      .regex(new RegExp(ID_PATTERN), {
        error: (issue) => `group id "${String(issue.input)}" must be lowercase letters, digits and dashes, starting with a letter or digit`,
      })
      .meta({ description: "The group's id: its steps are <group>-<item>-<step>" }),
    title: z.string().optional(),
    description: z.string().optional(),
    foreach: foreach.meta({ description: "The items: the group's steps run in order for one item, then for the next" }),
    label: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'What each item adds to the step ids; required when the items are mappings ("${shard.name}"); default the item itself' }),
    steps: z.array(groupStep, { error: "a group's steps is a list of steps" }).min(1, { error: 'a group needs at least one step' }),
  },
  'a group',
);

export const stepEntry = z.union([step, group]).meta({ description: 'A step, or a group of steps repeated per item' });

const varDeclaration = strict(
  {
    default: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]).optional(),
    description: z.string().optional(),
    secret: z.boolean().optional().meta({ description: 'Mask the value everywhere' }),
    env: z.boolean().optional().meta({ description: 'The value differs between environments (staging, production)' }),
  },
  'a variable declaration',
);

export const varValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()])), varDeclaration]);

export const runbookSchema = strict(
  {
    cutover: z
      .literal(FORMAT_VERSION, {
        error: (issue) =>
          issue.input === undefined
            ? `missing "cutover: ${FORMAT_VERSION}" (the runbook format version)`
            : `unsupported runbook format version ${JSON.stringify(issue.input)}; this cutover reads "cutover: ${FORMAT_VERSION}"`,
      })
      .meta({ description: 'Runbook format version' }),
    name: z
      .string({ error: 'the runbook needs a name (it names the journal)' })
      .regex(new RegExp(ID_PATTERN), { error: 'name must be lowercase letters, digits and dashes, starting with a letter or digit' })
      .max(MAX_NAME_LENGTH, {
        error: (issue) =>
          `the name is ${String((issue.input as string).length)} characters long; it names the journal file, so it is limited to ${MAX_NAME_LENGTH}`,
      }),
    description: z.string().optional(),
    vars: z
      .record(z.string().regex(new RegExp(VAR_NAME_PATTERN), { error: 'variable names are letters, digits and _' }), varValue)
      .optional()
      .meta({ description: 'Variables with defaults; override with --var k=v or --vars-file' }),
    secrets: z
      .array(z.string().regex(new RegExp(ENV_NAME_PATTERN), { error: 'secrets lists environment variable names' }))
      .optional()
      .meta({ description: 'Environment variables whose values are masked everywhere' }),
    env: envMap.optional().meta({ description: 'Environment variables exported to shell actions' }),
    aws: strict(
      {
        region: z.string().optional(),
        profile: z.string().optional(),
        endpointUrl: z.string().optional(),
        changePollInterval: duration.optional().meta({ description: 'How often to poll Route 53 GetChange until INSYNC (default 5s)' }),
        changeTimeout: duration.optional().meta({ description: 'How long to wait for a Route 53 change to be INSYNC (default 10m)' }),
      },
      'aws',
    ).optional(),
    defaults: strict(
      {
        timeout: duration.optional(),
        confirm: z.boolean().optional(),
        onFailure: onFailure.optional(),
        retry: retryPolicy.optional(),
        precheck: check.optional().meta({ description: 'The precheck of every step without its own' }),
        verify: check.optional().meta({ description: 'The verify of every step without its own' }),
        watch: check.optional().meta({ description: "The watch of every step without its own (it runs during the step's bake)" }),
      },
      'defaults',
    ).optional(),
    journal: journalLocation.optional(),
    policy: strict({ requireRehearsal: z.boolean().optional() }, 'policy').optional(),
    notify: notifyBlock.optional(),
    steps: z.array(stepEntry, { error: 'steps is a list of steps' }).min(1, { error: 'a runbook needs at least one step' }),
  },
  'the runbook',
);

export type RawRunbook = z.infer<typeof runbookSchema>;
export type RawStep = z.infer<typeof step>;
export type RawGroup = z.infer<typeof group>;
export type RawStepEntry = z.infer<typeof stepEntry>;
export type RawAction = z.infer<typeof action>;
export type RawCheck = z.infer<typeof check>;
export type RawSingleCheck = z.infer<typeof singleCheck>;
export type RawRollback = z.infer<typeof rollback>;
export type RawVarValue = z.infer<typeof varValue>;

export function runbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(runbookSchema, { target: 'draft-2020-12', unrepresentable: 'any', reused: 'ref' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'cutover runbook',
    ...schema,
  };
}
