import AxeBuilder from '@axe-core/playwright';
import {
  test as base,
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export { expect };

/**
 * The tests' clock. With SAS_E2E_NOW (the default of playwright.config.ts, see there), the server
 * under test started its clock at that instant (SAS_NOW with SAS_TEST_CLOCK=1) and it runs from
 * there; the tests derive every date from the same instant, and the browsers get it too. With
 * SAS_E2E_NOW=real, everything runs on the real clock.
 *
 * Only dates the application sees come from here: comparisons with files written by the tests'
 * own processes (the mails' modification times) keep the real `Date.now()`.
 */
export function now(): Date {
  const fixed = fixedStart();
  if (fixed === undefined) return new Date();
  return new Date(fixed + (Date.now() - Number(process.env.SAS_E2E_STARTED ?? Date.now())));
}

/** The instant the run started from (milliseconds), or undefined on the real clock. */
function fixedStart(): number | undefined {
  const value = process.env.SAS_E2E_NOW;
  if (!value || value === 'real') return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new Error(`SAS_E2E_NOW: not a date: ${value}`);
  return at;
}

/**
 * Gives the browser pages of `context` the tests' clock (timers keep running in real time).
 * SAS_E2E_BROWSER_CLOCK=real leaves the browsers on the real clock while the server's is set:
 * that checks that the pages take the server's time, never the browser's.
 */
async function setClock(context: BrowserContext) {
  if (fixedStart() === undefined || process.env.SAS_E2E_BROWSER_CLOCK === 'real') return;
  await context.clock.install({ time: now() });
}

/** A browser context on the tests' clock: use it instead of `browser.newContext()`. */
export async function newContext(browser: Browser, options?: BrowserContextOptions): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await setClock(context);
  return context;
}

/** Playwright's `test` whose pages run on the tests' clock: every spec imports this one. */
export const test = base.extend({
  context: async ({ context, javaScriptEnabled }, use) => {
    // Without JavaScript, the page has no clock to set.
    if (javaScriptEnabled !== false) await setClock(context);
    await use(context);
  },
});

/** Paris calendar facts of an instant: `AAAA-MM-JJ`, `JJ/MM/AAAA`, weekday, « mardi 1 décembre ». */
export function paris(date: Date) {
  const part = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', ...options }).format(date);
  const iso = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(date);
  return {
    iso,
    fr: `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`,
    weekday: part({ weekday: 'long' }),
    label: `${part({ weekday: 'long' })} ${Number(part({ day: 'numeric' }))} ${part({ month: 'long' })}`,
  };
}

/** The Paris day `days` days after today by the tests' clock (noon, so DST changes do not matter). */
export function parisDay(days: number) {
  const today = paris(now()).iso;
  const noon = new Date(`${today}T12:00:00Z`);
  noon.setUTCDate(noon.getUTCDate() + days);
  return paris(noon);
}

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
  const twin = await newContext(browser, {
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

/** Opens the first slot of a search (of `practitioner`'s card when given). */
export async function openSlot(page: Page, url: string, practitioner?: string) {
  await page.goto(url);
  // Choosing the slot holds it (a POST sent by the page): wait until the page runs.
  await hydrated(page);
  const card = practitioner
    ? page.locator('.practitioner-card', { has: page.getByRole('heading', { name: practitioner, exact: true }) })
    : page.locator('.practitioner-card').first();
  const name = (await card.locator('h3').innerText()).trim();
  const slot = card.locator('a.slot').first();
  const href = (await slot.getAttribute('href'))!;
  await slot.click();
  await expect(page).toHaveURL(href);
  await hydrated(page);
  return { href, name, slotId: href.split('/').pop()! };
}

/** Step A and the five mandatory patient fields. */
export async function fillMandatory(page: Page) {
  await page.getByRole('radio', { name: 'Non', exact: true }).check({ force: true });
  const reason = page.getByLabel('Motif de consultation');
  if ((await reason.inputValue()) === '') await reason.selectOption({ index: 1 });
  await page.getByLabel('Prénom du patient').fill('Marie');
  await page.getByRole('textbox', { name: 'Nom du patient', exact: true }).fill('Durand');
  await page.getByLabel('Nom de naissance du patient').fill('Martin');
  await page.getByLabel('Date de naissance du patient').fill('21/11/1952');
  await page.getByLabel('Téléphone du patient').fill('06 45 37 26 53');
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

/** A file attached to a mail, decoded as text. */
export type MailAttachment = { name: string; contentType: string; text: string };

export type Mail = { subject: string; text: string; link: string; attachments: MailAttachment[] };

/** Splits a MIME entity into its unfolded headers and its body. */
function splitEntity(raw: string): { headers: string; body: string } {
  const end = raw.search(/\r?\n\r?\n/);
  if (end < 0) return { headers: raw.replace(/\r?\n[ \t]+/g, ' '), body: '' };
  const headers = raw.slice(0, end).replace(/\r?\n[ \t]+/g, ' ');
  return { headers, body: raw.slice(end).replace(/^\r?\n\r?\n/, '') };
}

/** The text of a mail and its attachments: a plain mail, or the parts of a multipart one. */
function mailContent(headers: string, body: string): { text: string; attachments: MailAttachment[] } {
  const boundary = /^content-type:\s*multipart\/[^\n]*boundary="?([^";\s]+)"?/im.exec(headers)?.[1];
  if (!boundary) return { text: decodeBody(headers, body), attachments: [] };
  const parts = body
    .split(`--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith('--'))
    .map((part) => splitEntity(part.replace(/^\r?\n/, '')));
  const attachments = parts
    .filter((p) => /^content-disposition:\s*attachment/im.test(p.headers))
    .map((p) => ({
      name: /filename="?([^";\r\n]+)"?/i.exec(p.headers)?.[1] ?? '',
      contentType: /^content-type:\s*([^\r\n]+)/im.exec(p.headers)?.[1] ?? '',
      text: decodeBody(p.headers, p.body.trimEnd()),
    }));
  const plain = parts.find((p) => /^content-type:\s*text\/plain/im.test(p.headers));
  return { text: plain ? decodeBody(plain.headers, plain.body) : '', attachments };
}

/**
 * The newest mail received by the SMTP server for `to` whose subject contains `subject`,
 * with the secure link it carries (`linkPattern`; null for a mail without a link). Waits for
 * it to arrive.
 */
export async function receivedMail(
  to: string,
  subject: string,
  after = 0,
  linkPattern: RegExp | null = /https?:\/\/\S+jeton=[A-Za-z0-9_-]+/,
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
            const { headers, body } = splitEntity(fs.readFileSync(file, 'utf8'));
            return {
              to: /^to:\s*(.*)$/im.exec(headers)?.[1] ?? '',
              subject: decodeSubject(/^subject:\s*(.*)$/im.exec(headers)?.[1] ?? ''),
              ...mailContent(headers, body),
            };
          });
        const mail = mails.find((m) => m.to.includes(to) && m.subject.includes(subject));
        if (mail) {
          const link = linkPattern ? (linkPattern.exec(mail.text)?.[0] ?? '') : '';
          found = { subject: mail.subject, text: mail.text, link, attachments: mail.attachments };
        }
        return found && (linkPattern === null || found.link !== '');
      },
      { message: `a mail to ${to} about « ${subject} »`, timeout: 15_000 },
    )
    .toBe(true);
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
