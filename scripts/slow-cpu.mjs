#!/usr/bin/env node
// Runs a command on a deliberately slowed machine: busy loops keep CPU cores occupied for as long
// as the command runs (bounded: they stop by themselves after --max-minutes), so a test suite
// can prove it asserts behaviour, not the machine's speed. `npm run test:slow` runs `npm test`
// this way; `node scripts/slow-cpu.mjs bash .ci/run` runs the whole CI.
//
//   node scripts/slow-cpu.mjs [--cores N] [--max-minutes M] [--] command [args…]
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

function parse(argv) {
  const options = { cores: 1, maxMinutes: 60, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      options.command = argv.slice(i + 1);
      break;
    }
    if (arg === '--cores') options.cores = Number(argv[++i]);
    else if (arg === '--max-minutes') options.maxMinutes = Number(argv[++i]);
    else {
      options.command = argv.slice(i);
      break;
    }
  }
  return options;
}

const options = parse(process.argv.slice(2));
const fail = (message) => {
  console.error(`slow-cpu: ${message}`);
  process.exit(2);
};
if (options.command.length === 0)
  fail('no command given; usage: slow-cpu.mjs [--cores N] [--max-minutes M] -- command [args…]');
if (!Number.isInteger(options.cores) || options.cores < 1 || options.cores >= availableParallelism())
  fail(`--cores must be a whole number from 1 to ${availableParallelism() - 1} (one core stays for the command)`);
if (!(options.maxMinutes > 0)) fail('--max-minutes must be a positive number');

// Each loop checks its own deadline, so none outlives a killed parent by more than that bound.
const deadline = Date.now() + options.maxMinutes * 60_000;
const loop = `const end=${deadline};while(Date.now()<end){for(let i=0;i<1e6;i++);}`;
const burners = Array.from({ length: options.cores }, () => spawn(process.execPath, ['-e', loop], { stdio: 'ignore' }));
console.error(
  `slow-cpu: ${options.cores} core(s) kept busy for at most ${options.maxMinutes} min while running: ${options.command.join(' ')}`,
);
const stopBurners = () => {
  for (const b of burners) b.kill('SIGKILL');
};

const child = spawn(options.command[0], options.command.slice(1), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  stopBurners();
  fail(`cannot run ${options.command[0]}: ${error.message}`);
});
child.on('exit', (code, signal) => {
  stopBurners();
  process.exit(code ?? (signal ? 1 : 0));
});
