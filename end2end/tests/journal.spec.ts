import type { Browser, Page } from '@playwright/test';
import {
  ADMIN,
  expect,
  expectAccessible,
  expectAccessibleWithoutJs,
  hydrated,
  newContext,
  now,
  paris,
  PASSWORD,
  REGULATOR,
  signIn,
  test,
} from './helpers';

const READ = 'Lecture de données patient';
const BAD_NUMBER = 'Numéro de rendez-vous invalide : saisissez un nombre, par exemple 42.';

/** The regulator reads « Mes adressages » `times` times (each reading is audited). */
async function regulatorReads(browser: Browser, times: number) {
  // With JavaScript even inside « sans JavaScript »: signIn waits for the hydrated page.
  const context = await newContext(browser, { javaScriptEnabled: true });
  const regulator = await context.newPage();
  await signIn(regulator, REGULATOR);
  for (let i = 0; i < times; i++) {
    const read = await regulator.request.post('/api/booking/my_referrals', { headers: { Accept: 'application/json' } });
    expect(read.status()).toBe(200);
  }
  await context.close();
}

/** « 56 entrées » → 56. */
async function entries(page: Page): Promise<number> {
  const count = page.getByText(/^\d+ entrées?$/);
  await expect(count).toBeVisible();
  return Number((await count.textContent())!.split(' ')[0]);
}

test("l'administrateur SAS filtre le journal d'audit, le parcourt page par page et l'exporte en CSV", async ({
  browser,
  page,
}) => {
  // More than a page of one kind of entry: 55 readings of patient data by the regulator.
  await regulatorReads(browser, 55);
  const today = paris(now()).iso;

  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/admin\/regulateurs$/);
  await page.getByRole('link', { name: "Journal d'audit" }).first().click();
  await expect(page).toHaveURL(/\/admin\/journal$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText("Journal d'audit");
  await expectAccessible(page);

  // The filters are a plain GET form: their values end up in the address.
  await page.getByLabel('Du', { exact: true }).fill(today);
  await page.getByLabel('Au', { exact: true }).fill(today);
  await page.getByLabel(/^Compte/).fill('Regulateur@Demo.test');
  await page.getByLabel('Événement').selectOption({ label: READ });
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await expect(page).toHaveURL(/\/admin\/journal\?du=.*&action=patient_data_read/);
  await hydrated(page);
  await expect(page.getByLabel(/^Compte/)).toHaveValue('Regulateur@Demo.test');
  await expect(page.getByLabel('Événement')).toHaveValue('patient_data_read');
  const total = await entries(page);
  expect(total).toBeGreaterThanOrEqual(55);
  const pages = Math.ceil(total / 50);
  const rows = page.locator('tbody tr');
  await expect(rows).toHaveCount(50);
  for (const row of await rows.all()) {
    await expect(row).toContainText('regulateur@demo.test');
    await expect(row).toContainText(READ);
  }
  await expect(page.locator('caption')).toContainText(`page 1 sur ${pages}`);
  await expectAccessible(page);

  // The export link carries the same filters (not the page).
  const filters = `du=${today}&au=${today}&compte=Regulateur%40Demo.test&action=patient_data_read`;
  const link = page.getByRole('link', { name: /Exporter en CSV/ });
  await expect(link).toHaveAttribute('href', `/admin/journal.csv?${filters}`);
  await expect(link).toHaveAttribute('download', 'journal-audit.csv');
  const csv = await page.request.get((await link.getAttribute('href'))!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
  expect(csv.headers()['content-disposition']).toBe('attachment; filename="journal-audit.csv"');
  const lines = (await csv.text()).split('\r\n').filter((line) => line !== '');
  expect(lines[0]).toBe('date,compte,action,objet,adresse IP,empreinte');
  expect(lines).toHaveLength(total + 1);
  expect(lines[1]).toMatch(
    new RegExp(`^${today}T\\d\\d:\\d\\d:\\d\\d\\+0[12]:00,regulateur@demo\\.test,patient_data_read,appointments:regulator:\\d+,`),
  );

  // Paging keeps the filters; the export is in the journal (not among these filters).
  await page.getByRole('link', { name: 'Page suivante' }).click();
  await expect(page).toHaveURL(new RegExp(`\\?${filters.replace(/[.?]/g, '\\$&')}&page=2$`));
  await expect(page.locator('caption')).toContainText(`page 2 sur ${pages}`);
  await expect(rows).toHaveCount(Math.min(50, total - 50));
  expect(await entries(page)).toBe(total);
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Page précédente' }).click();
  await expect(page).toHaveURL(new RegExp(`\\?${filters.replace(/[.?]/g, '\\$&')}$`));
  await expect(page.locator('caption')).toContainText(`page 1 sur ${pages}`);
  await expect(page.getByRole('link', { name: 'Page précédente' })).toHaveAttribute('aria-disabled', 'true');

  await page.goto('/admin/journal?action=audit_export');
  await hydrated(page);
  await expect(page.locator('tbody tr').first()).toContainText(ADMIN);
  await expect(page.locator('tbody tr').first()).toContainText("Export du journal d'audit");

  // A wrong filter is refused with its message under its field, and nothing is listed.
  await page.getByLabel(/^Rendez-vous/).fill('douze');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await expect(page).toHaveURL(/rdv=douze/);
  await hydrated(page);
  await expect(page.locator('#rdv-error')).toHaveText(BAD_NUMBER);
  await expect(page.getByLabel(/^Rendez-vous/)).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel(/^Rendez-vous/)).toHaveAttribute('aria-describedby', 'rdv-error');
  await expect(page.getByRole('alert').filter({ hasText: 'corrigez les champs signalés' })).toBeVisible();
  await expect(page.locator('tbody tr')).toHaveCount(0);
  await expect(page.getByRole('link', { name: /Exporter en CSV/ })).toHaveCount(0);
  await expectAccessible(page);

  // Dates the wrong way round.
  await page.goto(`/admin/journal?du=${today}&au=2020-01-01`);
  await hydrated(page);
  await expect(page.locator('#au-error')).toHaveText('La date de fin doit être le jour de début ou après.');
});

test("le journal d'audit et son export sont réservés aux administrateurs SAS", async ({ page, request }) => {
  expect((await request.get('/admin/journal.csv')).status()).toBe(401);
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  const refused = await page.request.get('/admin/journal.csv');
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toBe("Votre compte n'a pas accès à cette fonctionnalité.");
  await page.goto('/admin/journal');
  await hydrated(page);
  await expect(page.getByRole('alert').filter({ hasText: "Votre compte n'a pas accès à cette fonctionnalité." })).toBeVisible();
  await expect(page.locator('tbody tr')).toHaveCount(0);
});

test.describe('sans JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test("le journal d'audit se filtre et se parcourt sans JavaScript", async ({ browser, page }) => {
    await regulatorReads(browser, 55);
    await page.goto('/connexion');
    await page.getByLabel('Adresse électronique').fill(ADMIN);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(page).toHaveURL(/\/admin\/regulateurs$/);
    await page.goto('/admin/journal');

    await page.getByLabel(/^Rendez-vous/).fill('12b');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await expect(page.locator('#rdv-error')).toHaveText(BAD_NUMBER);
    await expectAccessibleWithoutJs(browser, page);

    await page.getByLabel(/^Rendez-vous/).fill('');
    await page.getByLabel('Événement').selectOption({ label: READ });
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await expect(page).toHaveURL(/action=patient_data_read/);
    expect(await entries(page)).toBeGreaterThanOrEqual(55);
    await page.getByRole('link', { name: 'Page suivante' }).click();
    await expect(page).toHaveURL(/action=patient_data_read.*&page=2$/);
    await expect(page.locator('caption')).toContainText('page 2 sur');
    await expect(page.getByRole('link', { name: /Exporter en CSV/ })).toHaveAttribute(
      'href',
      /^\/admin\/journal\.csv\?action=patient_data_read$/,
    );
    await expectAccessibleWithoutJs(browser, page);
  });
});
