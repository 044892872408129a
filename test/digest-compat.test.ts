/**
 * Upgrading cutover does not "change" completed steps: the digests below were computed by
 * the version that spliced shell-quoted values into scripts (commit 37e3d52). A step whose
 * references sit in plain words, or whose values have no special characters, keeps its
 * digest; a step with such a value inside "…" gets a new one, because it now does
 * something else (the value arrives without the quote characters the old splice added).
 */
import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../src/runbook/load.js';

const RUNBOOK = `cutover: 1
name: compat
vars:
  ns: apps
  tag: v1.2.3
  note: two words
  token: { default: s3cret, secret: true }
  zone: { default: Z123, env: true }
  apps: [billing, mail]
env: { KUBECONFIG: "\${env.HOME}/.kube/aws" }
steps:
  - id: plain
    run: kubectl -n \${ns} set image deploy/app app=repo/app:\${tag}
    verify: test "$(kubectl -n \${ns} get deploy app -o name)" = deployment.apps/app
    rollback: kubectl -n \${ns} rollout undo deploy/app
  - id: quoted
    run: |
      curl -fsS -H "Authorization: Bearer \${token}" "https://api/\${zone}/\${ns}"
      echo \${note} > note.txt
    rollback: rm -f note.txt
  - id: deploy-\${app}
    foreach: { app: "\${apps}" }
    run: kubectl apply -k k8s/\${app} --context \${env.USER}
    rollback: { sh: "kubectl delete -k k8s/\${app}", env: { NS: "\${ns}" } }
`;

function digests(text: string): Record<string, string> {
  const result = loadRunbookText('compat.yaml', text, { env: { HOME: '/home/x', USER: 'op' } });
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return Object.fromEntries(result.runbook.steps.map((step) => [step.id, step.digest]));
}

describe('digests across the upgrade to carried values', () => {
  it('are unchanged for references in plain words, safe values inside quotes, secrets, env values and foreach items', () => {
    expect(digests(RUNBOOK)).toEqual({
      plain: 'sha256:705263ac9140fb5da8703ce3b4047ca99fb32a481d70f4f9b103c2210e9f3c33',
      quoted: 'sha256:d2d72e44fc87db11e04558871408e6981482c70767dc46175c7134688dc07694',
      'deploy-billing': 'sha256:cade9c65fe818e2b7eea5b0bbe016b53bc38ad353cd626df4163b90d5adabf8c',
      'deploy-mail': 'sha256:8485e0b5b67c69f4951b858f19ee3a120b2425fc0f3ee9e2fd9a3783232b3fad',
    });
  });

  it('changes for a value with special characters inside "…", whose step now behaves differently', () => {
    const text = `cutover: 1\nname: changed\nvars:\n  note: two words\nsteps:\n  - id: dq\n    run: echo "\${note}" > note.txt\n    rollback: rm -f note.txt\n`;
    // The old digest of this step (the script was: echo "'two words'" > note.txt).
    expect(digests(text).dq).not.toBe('sha256:69ddf51edf6d4a85ebf8068fbf5dee95e640b05e919620adf4e8e8d6874b5e85');
  });

  it('still change with a value, wherever the reference is', () => {
    const text = (value: string) =>
      `cutover: 1\nname: v\nvars:\n  v: "${value}"\nsteps:\n  - id: s\n    run: |\n      echo "\${v}" \${v}\n      cat <<EOF\n      \${v}\n      EOF\n    rollback: none\n    irreversible: test\n`;
    const seen = new Set(['a', 'b', 'a b', 'a\\"b', '$x'].map((value) => digests(text(value)).s));
    expect(seen.size).toBe(5);
  });
});
