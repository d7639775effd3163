import { isMap, isScalar, type Pair, parseDocument, type YAMLMap } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { RENAMED_KEYS, serviceEntryPaths } from './deprecated-keys.js';
import { configSchema } from './schema.js';

// `linkswitch config migrate`: the config's deprecated keys renamed to their current names in the
// text itself, at the places the YAML parser found them: comments, order and formatting stay as
// the user wrote them.

export interface Migration {
  /** The migrated text; the input unchanged when there was nothing to rename. */
  text: string;
  /** One line per renamed key: `service.env → service.environment`. */
  changes: string[];
}

export function migrateConfigText(text: string, file: string): Migration {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigError(`${file}: malformed YAML: ${doc.errors[0]!.message.split('\n')[0]}`, {
      fix: 'fix the YAML syntax at that line, then migrate',
    });
  const changes: string[] = [];
  // Where in the text each replacement goes: the rest of the file stays byte for byte.
  const edits: Array<{ from: number; to: number; text: string }> = [];
  for (const { where, path } of serviceEntryPaths(doc.toJS())) {
    const entry = doc.getIn(path, true);
    if (!isMap(entry)) continue;
    for (const pair of (entry as YAMLMap).items as Pair[]) {
      const key = pair.key;
      if (!isScalar(key) || !key.range) continue;
      const renamed = RENAMED_KEYS.find((k) => k.old === key.value);
      if (!renamed) continue;
      if ((entry as YAMLMap).has(renamed.current))
        throw new ConfigError(`${file}: ${where} sets both ${renamed.old} and ${renamed.current}`, {
          fix: `remove one of them (${renamed.current} is the current name), then migrate; nothing was changed`,
        });
      edits.push({ from: key.range[0], to: key.range[1], text: renamed.current });
      const value = pair.value;
      if (renamed.convert && isScalar(value) && value.range)
        edits.push({ from: value.range[0], to: value.range[1], text: String(renamed.convert(value.value)) });
      changes.push(`${where}.${renamed.old} → ${where}.${renamed.current}`);
    }
  }
  if (changes.length === 0) return { text, changes };
  let migrated = text;
  for (const edit of edits.sort((a, b) => b.from - a.from))
    migrated = migrated.slice(0, edit.from) + edit.text + migrated.slice(edit.to);
  const check = configSchema.safeParse(parseDocument(migrated).toJS());
  if (!check.success) {
    const issue = check.error.issues[0]!;
    throw new ConfigError(
      `${file}: the migrated config would not be valid (${issue.path.join('.')}: ${issue.message})`,
      { fix: 'correct that key first (linkswitch render shows every problem); nothing was changed' },
    );
  }
  return { text: migrated, changes };
}
