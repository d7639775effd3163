import { HaproxyRuntimeError } from '../core/errors.js';
import { safeFsPath } from '../core/safe-values.js';

// A certificate into the running HAProxy through the runtime API, without a reload: a host it
// has served before gets its new chain and key (`set ssl cert` + `commit`); a new one is
// created, committed and added to the bind's crt-list, where SNI finds it.

type Admin = (command: string, payload?: string) => Promise<string>;

export async function installCertificate(admin: Admin, file: string, pem: string, crtList: string): Promise<void> {
  safeFsPath(file, 'certificate path');
  safeFsPath(crtList, 'crt-list path');
  const known = (await admin('show ssl cert')).split('\n').some((l) => l.trim() === file);
  if (!known) expect(await admin(`new ssl cert ${file}`), /New empty certificate store/, 'new ssl cert');
  expect(await admin(`set ssl cert ${file}`, pem), /Transaction (created|updated)/, 'set ssl cert');
  expect(await admin(`commit ssl cert ${file}`), /Success!/, 'commit ssl cert');
  const listed = (await admin(`show ssl crt-list ${crtList}`)).split('\n').some((l) => l.split(' ')[0] === file);
  if (!listed) expect(await admin(`add ssl crt-list ${crtList} ${file}`), /Success!/, 'add ssl crt-list');
}

function expect(answer: string, ok: RegExp, command: string): void {
  if (ok.test(answer)) return;
  throw new HaproxyRuntimeError(`HAProxy refused ${command}: ${answer.trim().split('\n')[0] ?? '(no answer)'}`, {
    detail: answer,
    fix: 'run `linkswitch up`, which loads the certificates on disk with a reload',
  });
}
