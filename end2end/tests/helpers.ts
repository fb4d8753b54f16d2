import AxeBuilder from '@axe-core/playwright';
import { expect, type Browser, type Page } from '@playwright/test';

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
