/**
 * The completion scripts: bash (a `complete -F` function), zsh (the same function through
 * bashcompinit, which every zsh ships) and fish (`complete -c` lines). Step ids come from
 * `cutover __complete-steps <runbook>`, the runbook being the first *.yaml / *.yml / *.json
 * word on the line.
 */
import type { CompletionCommand, CompletionFlag } from './model.js';

const RUNBOOK_GLOB = '*.yaml|*.yml|*.json';

const words = (list: readonly string[]) => list.join(' ');
const flagNames = (flags: readonly CompletionFlag[]) => flags.flatMap((flag) => flag.names);

/** Single-quoted for the shell. */
function quote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

export function bashScript(program: CompletionCommand): string {
  const commands = program.subcommands;
  const allFlags = [...program.flags, ...commands.flatMap((c) => [...c.flags, ...c.subcommands.flatMap((s) => s.flags)])];
  const stepFlags = [...new Set(allFlags.filter((f) => f.step).flatMap((f) => f.names))];
  const choiceCases = new Map<string, readonly string[]>();
  for (const flag of allFlags) if (flag.choices) for (const name of flag.names) choiceCases.set(name, flag.choices);
  const valueFlags = [...new Set(allFlags.filter((f) => f.takesValue && !f.step && !f.choices).flatMap((f) => f.names))];
  const flagCases = commands
    .map((command) => {
      const sub =
        command.subcommands.length > 0
          ? `
        if [[ -n "$sub" ]]; then
          case "$sub" in
${command.subcommands.map((s) => `            ${s.name}) COMPREPLY=( $(compgen -W ${quote(words(flagNames(s.flags)))} -- "$cur") ) ;;`).join('\n')}
          esac
          return
        fi`
          : '';
      return `      ${command.name})${sub}
        COMPREPLY=( $(compgen -W ${quote(words(flagNames(command.flags)))} -- "$cur") ) ;;`;
    })
    .join('\n');
  const subcommandCases = commands
    .filter((c) => c.subcommands.length > 0)
    .map((c) => `    ${c.name}) [[ -z "$sub" ]] && { COMPREPLY=( $(compgen -W ${quote(words(c.subcommands.map((s) => s.name)))} -- "$cur") ); return; } ;;`)
    .join('\n');
  const stepArgumentCommands = commands.filter((c) => c.stepArgument).map((c) => c.name);
  return `# cutover completion for bash. Load it with:
#   source <(cutover completion bash)
# or save it as ~/.local/share/bash-completion/completions/cutover
_cutover_steps() {
  [[ -n "$1" ]] || return
  command cutover __complete-steps "$1" 2>/dev/null
}

_cutover() {
  local cur prev cmd="" sub="" runbook="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=( $(compgen -W ${quote(words(flagNames(program.flags)))} -- "$cur") )
    else
      COMPREPLY=( $(compgen -W ${quote(words(commands.map((c) => c.name)))} -- "$cur") )
    fi
    return
  fi
  local positional=0 first=$((i + 1)) j
  # The runbook may come after the word being completed (run --until <TAB> rb.yaml).
  for ((j = first; j < \${#COMP_WORDS[@]}; j++)); do
    [[ $j -eq $COMP_CWORD ]] && continue
    case "\${COMP_WORDS[j]}" in ${RUNBOOK_GLOB}) runbook="\${COMP_WORDS[j]}"; break ;; esac
  done
  for ((i = first; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      ${RUNBOOK_GLOB}) positional=$((positional + 1)) ;;
      *) case "\${COMP_WORDS[i-1]}" in
           ${valueFlags.length > 0 ? valueFlags.join('|') : '--'}|${stepFlags.join('|')}|${[...choiceCases.keys()].join('|') || '--'}) ;;
           *) [[ -z "$sub" ]] && sub="\${COMP_WORDS[i]}" ;;
         esac ;;
    esac
  done
  case "$cmd" in
${subcommandCases}
  esac
  case "$prev" in
    ${stepFlags.join('|')})
      COMPREPLY=( $(compgen -W "$(_cutover_steps "$runbook")" -- "$cur") )
      return ;;
${[...choiceCases.entries()].map(([name, choices]) => `    ${name}) COMPREPLY=( $(compgen -W ${quote(words(choices))} -- "$cur") ); return ;;`).join('\n')}
    ${valueFlags.join('|')})
      COMPREPLY=( $(compgen -f -- "$cur") )
      return ;;
  esac
  if [[ "$cur" == -* ]]; then
    case "$cmd" in
${flagCases}
    esac
    return
  fi
  case "$cmd" in
${commands
  .filter((c) => c.argumentChoices)
  .map((c) => `    ${c.name}) COMPREPLY=( $(compgen -W ${quote(words(c.argumentChoices ?? []))} -- "$cur") ); return ;;`)
  .join('\n')}
    ${stepArgumentCommands.join('|') || '__none__'})
      if [[ -n "$runbook" && "$positional" -ge 1 ]]; then
        COMPREPLY=( $(compgen -W "$(_cutover_steps "$runbook")" -- "$cur") )
        return
      fi ;;
  esac
  COMPREPLY=( $(compgen -f -- "$cur") )
}

complete -o default -o bashdefault -F _cutover cutover
`;
}

export function zshScript(program: CompletionCommand): string {
  return `#compdef cutover
# cutover completion for zsh (the bash function, through zsh's bashcompinit). Load it with:
#   source <(cutover completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(program)
  .split('\n')
  .filter((line) => !line.startsWith('#'))
  .join('\n')}`;
}

export function fishScript(program: CompletionCommand): string {
  const commands = program.subcommands;
  const lines = [
    '# cutover completion for fish. Load it with:',
    '#   cutover completion fish | source',
    '# or save it as ~/.config/fish/completions/cutover.fish',
    'function __cutover_runbook',
    '    for word in (commandline -opc)',
    '        switch $word',
    '            case "*.yaml" "*.yml" "*.json"',
    '                echo $word',
    '                return',
    '        end',
    '    end',
    'end',
    'function __cutover_steps',
    '    set -l runbook (__cutover_runbook)',
    '    test -n "$runbook"; and command cutover __complete-steps $runbook 2>/dev/null',
    'end',
    'complete -c cutover -f',
  ];
  for (const command of commands) lines.push(`complete -c cutover -n __fish_use_subcommand -a ${command.name} -d ${quote(command.description.slice(0, 80))}`);
  for (const command of commands) {
    const when = `__fish_seen_subcommand_from ${command.name}`;
    for (const sub of command.subcommands) lines.push(`complete -c cutover -n ${quote(when)} -a ${sub.name} -d ${quote(sub.description.slice(0, 80))}`);
    for (const flag of [...command.flags, ...command.subcommands.flatMap((s) => s.flags)]) lines.push(fishFlag(when, flag));
    lines.push(`complete -c cutover -n ${quote(when)} -F`);
    if (command.argumentChoices) lines.push(`complete -c cutover -n ${quote(when)} -a ${quote(words(command.argumentChoices))}`);
    if (command.stepArgument) lines.push(`complete -c cutover -n ${quote(`${when}; and test -n "(__cutover_runbook)"`)} -a '(__cutover_steps)'`);
  }
  return `${lines.join('\n')}\n`;
}

function fishFlag(when: string, flag: CompletionFlag): string {
  const names = flag.names.map((name) => (name.startsWith('--') ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`)).join(' ');
  const value = flag.step ? " -x -a '(__cutover_steps)'" : flag.choices ? ` -x -a ${quote(words(flag.choices))}` : flag.takesValue ? ' -r' : '';
  return `complete -c cutover -n ${quote(when)} ${names}${value}`;
}
