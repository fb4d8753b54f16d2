import AxeBuilder from '@axe-core/playwright';
import { expect, type Browser, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PASSWORD = 'Demo-SAS-2026';
export const REGULATOR = 'regulateur@demo.test';
export const ADMIN = 'admin.sas@demo.test';

/** The demo address of a practitioner shown as "Dr Prénom Nom". */
export function practitionerEmail(cardTitle: string): string {
  const [first, ...last] = cardTitle.replace(/^Dr\s+/, '').split(' ');
  const slug = (s: string) =>
    s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[ ']/g, '-');
  return `${slug(first)}.${slug(last.join(' '))}@demo.test`;
}

/** Waits until the wasm has taken over the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Fails on any WCAG 2.1 A/AA violation that axe finds on the current page. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
  );
  expect(summary, `accessibility violations on ${page.url()}`).toEqual([]);
}

/**
 * axe runs in the page, so it needs JavaScript: a page shown without JavaScript is checked
 * at the same address in a twin context that has the same cookies and runs scripts.
 */
export async function expectAccessibleWithoutJs(browser: Browser, page: Page) {
  const twin = await browser.newContext({
    javaScriptEnabled: true,
    storageState: await page.context().storageState(),
  });
  const twinPage = await twin.newPage();
  await twinPage.goto(page.url());
  await hydrated(twinPage);
  await expectAccessible(twinPage);
  await twin.close();
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto('/connexion');
  await hydrated(page);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  // Wait for the server's answer: the next navigation must carry the session cookie.
  const answered = page.waitForResponse((r) => r.url().includes('/api/login'));
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await answered;
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page).toHaveURL(/\/connexion$/);
}

/** The Maildir where the SMTP server of the tests (aiosmtpd) writes what it receives. */
function maildir(): string {
  const dir = process.env.SAS_E2E_DIR;
  if (!dir) throw new Error('SAS_E2E_DIR is not set (see playwright.config.ts)');
  return path.join(dir, 'mail', 'new');
}

/** Decodes a MIME body as its Content-Transfer-Encoding says. */
function decodeBody(headers: string, body: string): string {
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

export type Mail = { subject: string; text: string; link: string };

/**
 * The newest mail received by the SMTP server for `to` whose subject contains `subject`,
 * with the secure link it carries. Waits for it to arrive.
 */
export async function receivedMail(
  to: string,
  subject: string,
  after = 0,
  linkPattern = /https?:\/\/\S+jeton=[A-Za-z0-9_-]+/,
): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      () => {
        const dir = maildir();
        const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
        const mails = files
          .map((name) => ({ file: path.join(dir, name), at: fs.statSync(path.join(dir, name)).mtimeMs }))
          .filter((m) => m.at >= after)
          .sort((a, b) => b.at - a.at)
          .map(({ file }) => {
            const raw = fs.readFileSync(file, 'utf8');
            const [headers, ...rest] = raw.split(/\r?\n\r?\n/);
            const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
            return {
              to: /^to:\s*(.*)$/im.exec(unfolded)?.[1] ?? '',
              subject: decodeSubject(/^subject:\s*(.*)$/im.exec(unfolded)?.[1] ?? ''),
              text: decodeBody(unfolded, rest.join('\n\n')),
            };
          });
        const mail = mails.find((m) => m.to.includes(to) && m.subject.includes(subject));
        if (mail) {
          const link = linkPattern.exec(mail.text)?.[0] ?? '';
          found = { subject: mail.subject, text: mail.text, link };
        }
        return found?.link ?? '';
      },
      { message: `a mail to ${to} about « ${subject} »`, timeout: 15_000 },
    )
    .not.toBe('');
  return found!;
}

/** RFC 2047 encoded words, as SMTP libraries write non-ASCII subjects. */
function decodeSubject(subject: string): string {
  return subject
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
      kind.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, hex) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

/** Runs SQL on the database of the server under test (to age a link, for instance). */
export function sql(statement: string, ...params: string[]) {
  const dir = process.env.SAS_E2E_DIR;
  if (!dir) throw new Error('SAS_E2E_DIR is not set (see playwright.config.ts)');
  const script =
    'import sqlite3, sys\n' +
    'db = sqlite3.connect(sys.argv[1])\n' +
    'db.execute(sys.argv[2], sys.argv[3:])\n' +
    'db.commit()\n';
  execFileSync('python3', ['-c', script, path.join(dir, 'e2e.db'), statement, ...params]);
}
