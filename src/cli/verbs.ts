// Everything the verbs run, behind one lazy import: `--help`, `--version` and a mistyped flag
// load only commander and the option parsing; the config loader (yaml, zod), the adapters
// (dockerode, execa, pino) and the core load when a verb actually runs.
export { writeFileAtomic } from '../adapters/atomic-file.js';
export { createLogger } from '../adapters/logger.js';
export { buildApp, loadSettings } from '../app/root.js';
export { describeSettings } from '../config/describe.js';
export { parseConfig } from '../config/load.js';
export { migrateConfigText } from '../config/migrate.js';
export { configPath, packageFile } from '../config/paths.js';
export { composeServiceFacts, starterConfig } from '../config/starter-config.js';
export { requestCanaryAction } from '../core/canary-request.js';
export { parseDuration } from '../core/duration.js';
export { ConfigError, errnoCode } from '../core/errors.js';
export { setMaintenance } from '../core/maintenance.js';
export { runOnce } from '../core/run-once.js';
export { deploy, down, downService, renderCurrent, rollback, status, up } from '../core/service.js';
export { unifiedDiff } from './diff.js';
export { printJson, printOutcome } from './output.js';
export { pickService } from './pick-service.js';
export { locateVerb } from './remote.js';
export { progressSink, reported } from './reporter.js';
