import type { Browser, Locator, Page } from '@playwright/test';
import {
  expect,
  expectAccessible,
  hydrated,
  newContext,
  parisDay,
  REGULATOR,
  signIn,
  test,
} from './helpers';

/** A page of its own (cookies included) signed in as `email`. */
async function signedIn(browser: Browser, email: string): Promise<Page> {
  const context = await newContext(browser);
  const page = await context.newPage();
  await signIn(page, email);
  await expect(page.getByRole('button', { name: 'Se déconnecter' })).toBeVisible();
  return page;
}

/**
 * The morning whose range the first test opens to the SAS: tomorrow or the day after (never a
 * Sunday, which has no range), so that the search's 72 hours cover all of it at any hour,
 * preferring a day with an afternoon range too (Monday, Tuesday, Thursday, Friday).
 */
function nextWorkingMorning() {
  const days = [parisDay(1), parisDay(2)].filter((d) => d.weekday !== 'dimanche');
  return days.find((d) => !['mercredi', 'samedi'].includes(d.weekday)) ?? days[0];
}

async function setSnpOnRange(page: Page, range: string, on: boolean) {
  await page.goto('/agenda/plages');
  await hydrated(page);
  const row = page.getByRole('row', { name: new RegExp(range) });
  await row.getByRole('button', { name: /^Modifier/ }).click();
  await expect(page.getByRole('heading', { name: `Modifier la plage ${range}` })).toBeVisible();
  await page.getByRole('checkbox', { name: 'Soins non programmés' }).setChecked(on, { force: true });
  await page.getByRole('button', { name: 'Enregistrer la plage' }).click();
  await expect(page.getByRole('heading', { name: 'Nouvelle plage' })).toBeVisible();
  const badge = page.getByRole('row', { name: new RegExp(range) }).getByText('Ouverte au SAS');
  await expect(badge).toHaveCount(on ? 1 : 0);
}

test("un médecin qui n'accepte pas de nouveaux patients ouvre une plage du matin au SAS avec « Soins non programmés », puis la ferme, et une absence retire des créneaux", async ({ browser }) => {
  // Philippe David (Paris) participates in the SAS, takes no new patients and has no SNP:
  // nothing of his reaches the search. The morning chosen is within the search's 72 hours.
  const morning = nextWorkingMorning();
  const range = `chaque ${morning.weekday} de 09:00 à 12:00`;
  const doctor = await signedIn(browser, 'philippe.david@demo.test');
  const regulator = await signedIn(browser, REGULATOR);
  const card = regulator.locator('.practitioner-card', {
    has: regulator.getByRole('heading', { name: 'Dr Philippe David' }),
  });
  // Around Paris 20e within 2 km: Philippe David's card (when it has slots) is on the first
  // page, whatever the order of the others.
  const search = async () => {
    await regulator.goto('/recherche?inseecode=75120&rayon=2');
    await expect(regulator.locator('.practitioner-card').first()).toBeVisible();
  };
  await search();
  await expect(card).toHaveCount(0);
  // His week: that morning's slots are free, and the SAS sees none of them.
  const week = async () => {
    await doctor.goto(`/agenda/semaine?semaine=${morning.iso}`);
    await hydrated(doctor);
    return doctor.getByRole('region', { name: morning.label });
  };
  const firstSlot = (column: Locator) => column.locator('li', { hasText: '09:00 – 09:20' });
  let column = await week();
  await expect(firstSlot(column)).toContainText('Libre, non visible par le SAS');
  const hiddenBefore = await column.getByText('Libre, non visible par le SAS').count();
  expect(hiddenBefore).toBeGreaterThanOrEqual(9);

  await doctor.goto('/agenda/motifs');
  await hydrated(doctor);
  await expectAccessible(doctor);
  await doctor.getByRole('button', { name: 'Ajouter le motif « Soins non programmés »' }).click();
  await expect(doctor.getByRole('row', { name: /Soins non programmés/ })).toContainText('Actif');
  await expect(doctor.getByRole('button', { name: 'Ajouter le motif « Soins non programmés »' })).toHaveCount(0);

  await setSnpOnRange(doctor, range, true);
  await expectAccessible(doctor);
  await search();
  await expect(card.locator('a.slot')).toHaveCount(9);
  // The card carries the « Soins non programmés » badge once, for its slots.
  await expect(card.getByText('Soins non programmés').first()).toBeVisible();

  await setSnpOnRange(doctor, range, false);
  await search();
  await expect(card).toHaveCount(0);

  // Open again, then away from 10:00 to 11:00: the three slots of that hour disappear.
  await setSnpOnRange(doctor, range, true);
  await doctor.getByLabel('Début : date').fill(morning.iso);
  await doctor.getByLabel('Début : heure').fill('10:00');
  await doctor.getByLabel('Fin : date').fill(morning.iso);
  await doctor.getByLabel('Fin : heure').fill('11:00');
  await doctor.getByLabel("Motif de l'absence").fill('Formation');
  await doctor.getByRole('button', { name: "Ajouter l'absence" }).click();
  await expect(doctor.getByText(`Absence du ${morning.fr} à 10:00 au ${morning.fr} à 11:00 — Formation`)).toBeVisible();
  await expectAccessible(doctor);
  await search();
  await expect(card.locator('a.slot')).toHaveCount(6);
  for (const time of ['10:00', '10:20', '10:40']) {
    await expect(card.locator('a.slot', { hasText: time })).toHaveCount(0);
  }

  // The week view shows why each slot reaches the SAS, and the absence: the morning's nine
  // slots are no longer « Libre, non visible par le SAS » (six for the SAS, three removed), and
  // the day's other free slots, if any (an afternoon range), still are.
  column = await week();
  await expect(column).toContainText('Absence de 10:00 à 11:00 (Formation)');
  await expect(column.getByText('Soins non programmés')).toHaveCount(6);
  await expect(firstSlot(column)).toContainText('Soins non programmés');
  await expect(firstSlot(column)).not.toContainText('Libre, non visible par le SAS');
  await expect(column.getByText('Libre, non visible par le SAS')).toHaveCount(hiddenBefore - 9);
  await expectAccessible(doctor);
});

test('la semaine suivante et la précédente s’affichent sans recharger la page', async ({ page }) => {
  await signIn(page, 'sophie.martin@demo.test');
  await expect(page).toHaveURL(/\/agenda$/);
  await page.goto('/agenda/semaine');
  await hydrated(page);
  const title = page.getByRole('heading', { level: 2, name: /^Semaine du/ });
  const thisWeek = await title.innerText();
  await expect(page.getByText('Nouveaux patients').first()).toBeVisible();
  await page.evaluate(() => ((window as unknown as { kept: number }).kept = 42));
  await page.getByRole('link', { name: 'Semaine suivante' }).click();
  await expect(page).toHaveURL(/semaine=\d{4}-\d{2}-\d{2}/);
  await expect(title).not.toHaveText(thisWeek);
  await page.getByRole('link', { name: 'Semaine précédente' }).click();
  await expect(title).toHaveText(thisWeek);
  expect(await page.evaluate(() => (window as unknown as { kept: number }).kept)).toBe(42);
  await expectAccessible(page);
});

test('une plage ou une absence mal saisie est signalée à côté du champ et rien n’est enregistré', async ({ page }) => {
  await signIn(page, 'sophie.martin@demo.test');
  await expect(page).toHaveURL(/\/agenda$/);
  await page.goto('/agenda/plages');
  await hydrated(page);
  const rows = page.locator('tbody tr');
  const before = await rows.count();
  expect(before).toBeGreaterThan(0);

  await page.getByRole('checkbox', { name: 'Dimanche' }).check({ force: true });
  await page.getByLabel('Heure de début').fill('12:00');
  await page.getByLabel('Heure de fin').fill('09:00');
  // One reason only: its duration is the slots' and the field is not typed in.
  await page.getByRole('checkbox', { name: 'Consultation de médecine générale' }).check({ force: true });
  await expect(page.getByLabel("Durée d'un créneau (minutes)")).toHaveValue('20');
  await expect(page.getByLabel("Durée d'un créneau (minutes)")).not.toBeEditable();
  await expect(page.getByText('Un seul motif sur la plage : ses créneaux durent la durée du motif (20 min).')).toBeVisible();
  await page.getByRole('checkbox', { name: 'Suivi patient habituel' }).check({ force: true });
  await expect(page.getByLabel("Durée d'un créneau (minutes)")).toBeEditable();
  await page.getByRole('button', { name: 'Ajouter la plage' }).click();
  await expect(page.locator('#end-error')).toHaveText("L'heure de fin doit être après l'heure de début.");
  await expect(page.locator('#end')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#end')).toBeFocused();
  await expectAccessible(page);

  await page.getByLabel('Heure de fin').fill('13:00');
  await page.getByLabel("Durée d'un créneau (minutes)").fill('0');
  await page.getByRole('button', { name: 'Ajouter la plage' }).click();
  await expect(page.locator('#end-error')).toBeHidden();
  await expect(page.locator('#slot_minutes-error')).toHaveText("La durée d'un créneau est d'au moins 5 minutes.");
  await page.getByLabel("Durée d'un créneau (minutes)").fill('90');
  await page.getByRole('button', { name: 'Ajouter la plage' }).click();
  await expect(page.locator('#slot_minutes-error')).toHaveText(
    "La durée d'un créneau ne peut pas dépasser celle de la plage (60 minutes).",
  );

  // The browser lets this one through; the server finds the overlap.
  await page.getByRole('checkbox', { name: 'Dimanche' }).uncheck({ force: true });
  await page.getByRole('checkbox', { name: 'Mardi' }).check({ force: true });
  await page.getByLabel('Heure de début').fill('10:00');
  await page.getByLabel('Heure de fin').fill('11:00');
  await page.getByLabel("Durée d'un créneau (minutes)").fill('20');
  await page.getByRole('button', { name: 'Ajouter la plage' }).click();
  await expect(page.locator('#start-error')).toHaveText(
    'Cette plage chevauche une plage existante : chaque mardi de 09:00 à 12:00.',
  );
  await expect(rows).toHaveCount(before);

  const tomorrow = parisDay(1);
  await page.getByLabel('Début : date').fill(tomorrow.iso);
  await page.getByLabel('Début : heure').fill('10:00');
  await page.getByLabel('Fin : date').fill(tomorrow.iso);
  await page.getByLabel('Fin : heure').fill('09:00');
  await page.getByRole('button', { name: "Ajouter l'absence" }).click();
  await expect(page.locator('#end_date-error')).toHaveText("La fin de l'absence doit être après son début.");
  await expect(page.getByText('Aucune absence à venir.')).toBeVisible();
  await expectAccessible(page);

  // A reason that is not the practitioner's is refused by the server, whatever the browser sends.
  const unknown = await page.request.post('/api/agenda/save_range', {
    headers: { Accept: 'application/json' },
    form: {
      'range[kind]': 'once',
      'range[date]': tomorrow.iso,
      'range[start]': '20:00',
      'range[end]': '21:00',
      'range[slot_minutes]': '20',
      'range[mode]': 'cabinet',
      'range[reason_ids][0]': '999999',
    },
  });
  expect(unknown.status()).toBe(422);
  expect(await unknown.text()).toContain('Motif inconnu');
  await page.reload();
  await expect(rows).toHaveCount(before);
});

test('un médecin ne lit et ne modifie que son propre agenda', async ({ browser, request }) => {
  // The demo creates Sophie Martin first: range 1 and reason 1 are hers.
  const sophie = await signedIn(browser, 'sophie.martin@demo.test');
  const own = await sophie.request.post('/api/agenda/archive_reason', { form: { id: '1', archived: 'false' } });
  expect(own.status()).toBe(200);
  await sophie.goto('/agenda/plages');
  const ranges = await sophie.locator('tbody tr').count();

  const nicolas = await signedIn(browser, 'nicolas.thomas@demo.test');
  for (const [fn, form] of [
    ['delete_range', { id: '1' }],
    ['archive_reason', { id: '1', archived: 'true' }],
    ['save_reason', { id: '1', 'reason[name]': 'Piratage', 'reason[duration_minutes]': '5' }],
    [
      'save_range',
      {
        id: '1',
        'range[kind]': 'weekly',
        'range[days][0]': '7',
        'range[valid_from]': '2026-01-01',
        'range[start]': '22:00',
        'range[end]': '23:00',
        'range[slot_minutes]': '20',
        'range[mode]': 'cabinet',
        'range[reason_ids][0]': '1',
      },
    ],
    ['delete_absence', { id: '1' }],
    ['remove_question', { id: '1' }],
  ] as const) {
    const refused = await nicolas.request.post(`/api/agenda/${fn}`, { form });
    expect([404, 422], `${fn}: ${await refused.text()}`).toContain(refused.status());
  }
  expect((await request.post('/api/agenda/my_ranges')).status()).toBe(401);
  const regulator = await signedIn(browser, REGULATOR);
  expect((await regulator.request.post('/api/agenda/my_ranges')).status()).toBe(403);

  await sophie.reload();
  await expect(sophie.locator('tbody tr')).toHaveCount(ranges);
  await sophie.goto('/agenda/motifs');
  await expect(sophie.getByRole('row', { name: /Consultation de médecine générale/ })).toContainText('Actif');
});
