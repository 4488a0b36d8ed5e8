import { openTestSessions } from './test-sessions.js';

/**
 * `node --import tsx test/helpers/apply-child.ts <home> <session> <n>`: applies the session and
 * SIGKILLs itself right before its n-th replace, the way a crash or `kill -9` would end it.
 */
const [home, session, n] = process.argv.slice(2);
if (!home || !session || !n) throw new Error('usage: apply-child <home> <session> <n>');
const { sessions } = openTestSessions(home);
let seen = 0;
await sessions.apply(session, [], {
  beforeReplace: () => {
    if (++seen === Number(n)) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write('finished without being killed\n');
