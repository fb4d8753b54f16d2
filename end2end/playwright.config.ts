import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The server under test: the debug build of `sas-rdv` that .ci/test copies to target/e2e,
// on a fresh temporary SQLite database loaded with the demo data, sending its mails to a real
// SMTP server (aiosmtpd) that writes them to a Maildir the tests read.
// The config is loaded again in each worker: the paths travel through the environment.
const root = path.resolve(__dirname, '..');
const binary = process.env.SAS_BIN ?? path.join(root, 'target', 'e2e', 'sas-rdv');
process.env.SAS_E2E_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'sas-e2e-'));
const dataDir = process.env.SAS_E2E_DIR;
const port = Number(process.env.SAS_E2E_PORT ?? 3100);
const smtpPort = port + 1000;

// The clock: by default the server under test starts its clock at a fixed instant (SAS_NOW, with
// SAS_TEST_CLOCK=1: honoured in tests only) and runs from there; the tests and the browsers derive
// every date from the same instant (tests/helpers.ts: now(), newContext, test). A Tuesday morning:
// on a Tuesday, « tomorrow » was a Wednesday, when some practitioners open only their morning.
// SAS_E2E_NOW=<RFC 3339 instant> picks another one (.ci/week runs a whole week);
// SAS_E2E_NOW=real runs on the real clock.
const DEFAULT_E2E_NOW = '2026-12-01T09:30:00+01:00';
process.env.SAS_E2E_NOW ||= DEFAULT_E2E_NOW;
process.env.SAS_E2E_STARTED ??= String(Date.now());
const e2eNow = process.env.SAS_E2E_NOW;
if (e2eNow !== 'real' && Number.isNaN(Date.parse(e2eNow))) {
  throw new Error(`SAS_E2E_NOW: not an RFC 3339 instant: ${e2eNow}`);
}
const clock = e2eNow === 'real' ? { SAS_TEST_CLOCK: '0', SAS_NOW: '' } : { SAS_TEST_CLOCK: '1', SAS_NOW: e2eNow };

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `exec python3 -m aiosmtpd -n -l 127.0.0.1:${smtpPort} -c aiosmtpd.handlers.Mailbox "${path.join(dataDir, 'mail')}"`,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The log goes to a file that .ci/log-check reads (JSON lines: no patient data allowed).
      command: `exec "${binary}" serve --demo >> "${path.join(dataDir, 'server.log')}" 2>&1`,
      cwd: root,
      url: `http://127.0.0.1:${port}/`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        DATABASE_URL: `sqlite://${path.join(dataDir, 'e2e.db')}`,
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        LEPTOS_SITE_ROOT: 'target/site',
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        SAS_DATA_DIR: dataDir,
        RUST_LOG: 'info,sqlx=warn',
        LOG_FORMAT: 'json',
        ...clock,
      },
    },
  ],
});
