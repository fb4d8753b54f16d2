import type { Page } from '@playwright/test';
import { ADMIN, expect, expectAccessible, expectAccessibleWithoutJs, hydrated, parisDay, PASSWORD, REGULATOR, signIn, sql, test } from './helpers';

const DENIED = "Votre compte n'a pas accès à cette fonctionnalité.";

/**
 * Four bookings with Sophie Martin (Paris) in June 2026, months before the demo's clock, so that
 * the period holds them alone (made by the administrator's account, so that no regulator's
 * « Mes adressages » that other specs read lists them): (booked at, minutes before the appointment, outcome, kind of slot:
 * 1 SNP, 2 new patients, 3 both).
 */
const JUNE: [number, number, string, number][] = [
  [1780300800, 60, 'fulfilled', 1], // 01/06/2026 10:00, Paris
  [1780318800, 180, 'noshow', 2], // 01/06/2026 15:00
  [1780470000, 2880, 'cancelled', 1], // 03/06/2026 09:00
  [1780477200, 30, 'booked', 3], // 03/06/2026 11:00
];
const PERIOD = 'du=2026-06-01&au=2026-06-03';

function seedJune() {
  const doctor = "(SELECT id FROM practitioners WHERE first_name = 'Sophie' AND last_name = 'Martin')";
  for (const [at, minutes, status, flags] of JUNE) {
    const start = String(at + minutes * 60);
    // Idempotent: a worker restarted after a failure runs beforeAll again on the same database.
    sql(`INSERT OR IGNORE INTO slots (practitioner_id, starts_at, ends_at, mode) VALUES (${doctor}, ?, ? + 1200, 'cabinet')`, start, start);
    sql(
      `INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at, mode, status,
           created_at, sas_flags, departement)
       SELECT s.id, s.practitioner_id, (SELECT id FROM users WHERE email = 'admin.sas@demo.test'),
           (SELECT MIN(id) FROM patients), s.starts_at, 'cabinet', ?, ?, ?, '75'
       FROM slots s WHERE s.practitioner_id = ${doctor} AND s.starts_at = ?
           AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id)`,
      status,
      String(at),
      String(flags),
      start,
    );
  }
  countJune();
}

/**
 * The page reads per-day counts that the server keeps with every booking (migration 0016): the
 * bookings written above are counted here, as the migration counts existing ones — June's three
 * Paris days (summer time, UTC+2) rebuilt from their appointments, so that a rerun counts once.
 */
function countJune() {
  const [since, first, last] = ['1780264800', '20605', '20607'];
  const june = `FROM appointments WHERE created_at >= ${since} AND created_at < ${since} + 3 * 86400`;
  const day = '(created_at + 7200) / 86400';
  const delay = `CASE WHEN starts_at - created_at >= 86400 THEN (starts_at - created_at) / 3600 * 60
      ELSE (starts_at - created_at) / 60 END`;
  for (const table of ['indicator_days', 'indicator_delays', 'indicator_practitioners']) {
    sql(`DELETE FROM ${table} WHERE day BETWEEN ${first} AND ${last}`);
  }
  const of = (s: string) => `SUM(CASE WHEN ${s} THEN 1 ELSE 0 END)`;
  sql(
    `INSERT INTO indicator_days SELECT ${day}, COALESCE(departement, ''), COUNT(*),
       ${of("status = 'booked'")}, ${of("status = 'fulfilled'")}, ${of("status = 'noshow'")},
       ${of("status = 'cancelled'")}, ${of('sas_flags = 1')}, ${of('sas_flags = 2')}, ${of('sas_flags = 3')},
       ${of('sas_flags = 4')}
     ${june} GROUP BY 1, 2`,
  );
  sql(`INSERT INTO indicator_delays SELECT '*', ${day}, ${delay}, COUNT(*) ${june} GROUP BY 2, 3`);
  sql(`INSERT INTO indicator_delays SELECT COALESCE(departement, ''), ${day}, ${delay}, COUNT(*) ${june} GROUP BY 1, 2, 3`);
  sql(
    `INSERT INTO indicator_practitioners SELECT ${day}, COALESCE(departement, ''), practitioner_id, COUNT(*)
     ${june} AND status <> 'cancelled' GROUP BY 1, 2, 3`,
  );
}

test.beforeAll(() => seedJune());

/** The table row whose header is `name` (exactly, for a string), in the table captioned `caption`. */
function row(page: Page, caption: RegExp, name: string | RegExp) {
  const header = page.getByRole('rowheader', { name, exact: typeof name === 'string' });
  return page.locator('table', { has: page.locator('caption', { hasText: caption }) }).locator('tr', { has: header });
}

function summary(page: Page) {
  return page.getByRole('status').filter({ hasText: 'rendez-vous pris' });
}

test('le régulateur consulte les indicateurs de son département sur une période, en graphiques, en tableaux et en CSV', async ({
  page,
}) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Indicateurs' }).click();
  await expect(page).toHaveURL(/\/indicateurs$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText("Indicateurs d'activité du SAS");
  // The last 30 days by default, in the regulator's département, which they cannot change.
  const fr = (days: number) => parisDay(days).iso.split('-').reverse().join('/');
  await expect(summary(page)).toContainText(`rendez-vous pris du ${fr(-29)} au ${fr(0)}, département 75.`);
  await expect(page.getByLabel(/^Département/)).toHaveCount(0);
  await expectAccessible(page);

  // A plain GET form: the period ends up in the address.
  await page.getByLabel('Du', { exact: true }).fill('2026-06-01');
  await page.getByLabel('Au', { exact: true }).fill('2026-06-03');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await expect(page).toHaveURL(new RegExp(`/indicateurs\\?${PERIOD}$`));
  await hydrated(page);
  await expect(summary(page)).toHaveText('4 rendez-vous pris du 01/06/2026 au 03/06/2026, département 75.');

  // Each chart is one image named by its summary; its table holds the same figures.
  await expect(page.getByRole('img', { name: /Rendez-vous pris par jour du 01\/06\/2026 au 03\/06\/2026 : 4 au total, au plus 2 le 01\/06\/2026/ })).toBeVisible();
  const perDay = /^Rendez-vous pris par jour/;
  await expect(row(page, perDay, '01/06/2026')).toContainText('2');
  await expect(row(page, perDay, '02/06/2026')).toContainText('0');
  await expect(row(page, perDay, '03/06/2026')).toContainText('2');
  await expect(page.getByRole('img', { name: /type de créneau.*Soins non programmés 50\s%/ })).toBeVisible();
  const kinds = /^Rendez-vous par type de créneau/;
  await expect(row(page, kinds, 'Soins non programmés')).toHaveText(/Soins non programmés\s*2\s*50\s%/);
  await expect(row(page, kinds, 'Nouveaux patients')).toHaveText(/Nouveaux patients\s*1\s*25\s%/);
  const outcomes = /^Issue des rendez-vous/;
  for (const label of ['Honorés', 'Non honorés', 'Annulés', 'À venir ou sans issue saisie']) {
    await expect(row(page, outcomes, label)).toHaveText(new RegExp(`${label}\\s*1\\s*25\\s%`));
  }
  // Delays 30, 60, 180 and 2,880 minutes.
  await expect(row(page, /^Délai/, /^Médiane/)).toContainText('1 h 00');
  await expect(row(page, /^Délai/, /^90e centile/)).toContainText('2 j 0 h');
  await expect(row(page, /par médecin effecteur/, 'Sophie Martin')).toHaveText(/Sophie Martin\s*Paris 4e \(75\)\s*3/);
  await expectAccessible(page);

  // The CSV holds the same figures.
  const link = page.getByRole('link', { name: /Exporter en CSV/ });
  await expect(link).toHaveAttribute('href', `/indicateurs.csv?${PERIOD}`);
  const csv = await page.request.get((await link.getAttribute('href'))!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
  expect(csv.headers()['content-disposition']).toBe('attachment; filename="indicateurs-sas.csv"');
  const lines = (await csv.text()).split('\r\n');
  expect(lines.slice(0, 7)).toEqual([
    'indicateur,libellé,valeur,part',
    'Période,du 01/06/2026 au 03/06/2026,,',
    'Périmètre,département 75,,',
    'Rendez-vous pris,total,4,',
    'Rendez-vous pris par jour,2026-06-01,2,',
    'Rendez-vous pris par jour,2026-06-02,0,',
    'Rendez-vous pris par jour,2026-06-03,2,',
  ]);
  expect(lines).toContain('Type de créneau,Soins non programmés,2,50\u00a0%');
  expect(lines).toContain('Délai avant le rendez-vous (minutes),médiane (1 h 00),60,');
  expect(lines).toContain('Délai avant le rendez-vous (minutes),90e centile (2 j 0 h),2880,');
  expect(lines).toContain('Médecins effecteurs (rendez-vous non annulés),Sophie Martin — Paris 4e (75),3,');

  // Dates the wrong way round: the message under its field, no figures.
  await page.goto('/indicateurs?du=2026-06-03&au=2026-06-01');
  await hydrated(page);
  await expect(page.locator('#au-error')).toHaveText('La date de fin doit être le jour de début ou après.');
  await expect(page.getByLabel('Au', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('link', { name: /Exporter en CSV/ })).toHaveCount(0);
  await expectAccessible(page);
  // Another département is not theirs to see.
  expect((await page.request.get('/indicateurs.csv?departement=69')).status()).toBe(403);
});

test("l'administrateur national choisit un département", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`/indicateurs?${PERIOD}`);
  await hydrated(page);
  await expect(summary(page)).toHaveText('4 rendez-vous pris du 01/06/2026 au 03/06/2026, tous les départements.');
  await expect(row(page, /par département/, '75')).toContainText('4');
  await page.getByLabel(/^Département/).fill('69');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await expect(page).toHaveURL(new RegExp(`\\?${PERIOD}&departement=69$`));
  await hydrated(page);
  await expect(summary(page)).toHaveText('0 rendez-vous pris du 01/06/2026 au 03/06/2026, département 69.');
  await expect(page.getByText('Aucun rendez-vous sur la période.')).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel(/^Département/).fill('99');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await hydrated(page);
  await expect(page.locator('#departement-error')).toHaveText('Département inconnu : « 99 ».');
  await expectAccessible(page);
});

test('les indicateurs sont refusés aux médecins effecteurs et aux visiteurs', async ({ page, request }) => {
  expect((await request.get('/indicateurs.csv')).status()).toBe(401);
  await signIn(page, 'sophie.martin@demo.test');
  const refused = await page.request.get('/indicateurs.csv');
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toBe(DENIED);
  await page.goto('/indicateurs');
  await hydrated(page);
  await expect(page.getByRole('alert').filter({ hasText: DENIED })).toBeVisible();
  await expect(page.locator('svg.indicator-chart')).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Indicateurs' })).toHaveCount(0);
  await expectAccessible(page);
});

test.describe('sans JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('les indicateurs se lisent et se filtrent sans JavaScript', async ({ browser, page }) => {
    await page.goto('/connexion');
    await page.getByLabel('Adresse électronique').fill(REGULATOR);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(page).toHaveURL(/\/recherche$/);
    await page.goto('/indicateurs');
    await page.getByLabel('Du', { exact: true }).fill('2026-06-01');
    await page.getByLabel('Au', { exact: true }).fill('2026-06-03');
    await page.getByRole('button', { name: 'Afficher' }).click();
    await expect(page).toHaveURL(new RegExp(`\\?${PERIOD}$`));
    await expect(summary(page)).toHaveText('4 rendez-vous pris du 01/06/2026 au 03/06/2026, département 75.');
    await expect(page.getByRole('img', { name: /4 au total/ })).toBeVisible();
    await expectAccessibleWithoutJs(browser, page);
  });
});
