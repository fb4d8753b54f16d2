import type { Page } from '@playwright/test';
import { expect, expectAccessible, hydrated, parisDay, PASSWORD, REGULATOR, signIn, test } from './helpers';

/** Demo practitioners of the Rhône the eligibility rule hides: not registered, or nothing open. */
const NOT_REGISTERED_IN_69 = ['Nathalie Simon', 'Élodie François', 'Chloé Gauthier'];
const HIDDEN_IN_69 = [...NOT_REGISTERED_IN_69, 'Aurélie Bertrand', 'Agnès Blanc'];

function kilometres(text: string): number {
  const [value, unit] = text.replace('À ', '').replace(',', '.').split(' ');
  return unit === 'm' ? Number(value) / 1000 : Number(value);
}

/** Names and distances of every card, page after page. */
async function allCards(page: Page): Promise<{ names: string[]; distances: number[] }> {
  const names: string[] = [];
  const distances: number[] = [];
  for (;;) {
    await expect(page.locator('.practitioner-card').first()).toBeVisible();
    names.push(...(await page.locator('.practitioner-card h3').allInnerTexts()));
    distances.push(...(await page.locator('.practitioner-card .distance').allInnerTexts()).map(kilometres));
    const next = page.getByRole('link', { name: 'Page suivante' });
    if ((await next.count()) === 0 || (await next.getAttribute('aria-disabled')) === 'true') break;
    const url = page.url();
    await next.click();
    await expect(page).not.toHaveURL(url);
  }
  return { names, distances };
}

test('un régulateur cherche autour d’une commune : seuls les créneaux éligibles, du plus proche au plus éloigné', async ({ page }) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  await hydrated(page);
  const place = page.getByRole('combobox', { name: 'Commune ou code postal' });
  await place.fill('69');
  await expect(page.getByRole('option').first()).toBeVisible();
  await place.fill('Lyon');
  await expect(page.getByRole('option', { name: /^Lyon \(69\)/ })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('option', { name: /^Lyon \(69\)/ }).click();
  await expect(page).toHaveURL(/inseecode=69123/);
  await expect(page.getByRole('heading', { level: 2, name: /\d+ praticiens et \d+ créneaux disponibles/ })).toBeVisible();
  await expect(page.getByText('Autour de Lyon (69), dans un rayon de 10 km')).toBeVisible();
  // A wider radius, typed then confirmed with Entrée.
  await page.getByLabel(/Rayon \(km\)/).fill('50');
  await page.getByLabel(/Rayon \(km\)/).press('Enter');
  await expect(page).toHaveURL(/rayon=50/);
  await expect(page.getByText('Autour de Lyon (69), dans un rayon de 50 km')).toBeVisible();
  await expect(page.locator('.practitioner-card').first()).toBeVisible();
  await expectAccessible(page);
  const visible = await page.locator('.practitioner-card h3').allInnerTexts();
  for (const hidden of HIDDEN_IN_69) expect(visible).not.toContain(`Dr ${hidden}`);

  // Switched off, the filter lists every registered practitioner, with a phone for those without slots.
  await page.locator('label[for=avec-creneaux]').click();
  await expect(page).toHaveURL(/tous=1/);
  await expect(page.locator('.practitioner-card')).toHaveCount(5);
  await expect(page.getByRole('navigation', { name: 'Pages de résultats' })).toBeVisible();
  const { names, distances } = await allCards(page);
  expect(names.length).toBeGreaterThan(10);
  expect(distances).toEqual([...distances].sort((a, b) => a - b));
  for (const hidden of NOT_REGISTERED_IN_69) expect(names).not.toContain(`Dr ${hidden}`);
  // The last page is in the URL: back returns to the one before.
  await expect(page).toHaveURL(/page=\d/);
  await page.goBack();
  await expect(page).toHaveURL(/page=\d|tous=1$/);
});

test('changer un filtre met les résultats à jour sans recharger la page, et le retour arrière rétablit la recherche', async ({ page }) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  await page.goto('/recherche?inseecode=69123&rayon=50');
  await hydrated(page);
  await expect(page.locator('a.slot').first()).toBeVisible();
  await page.evaluate(() => ((window as unknown as { sansRechargement: boolean }).sansRechargement = true));
  const days = async () => new Set(await page.locator('.day-label').allInnerTexts());
  expect((await days()).size).toBeGreaterThan(1);

  // One day only (tomorrow; the day after when tomorrow is a Sunday, which has no slots): one
  // day left in the results, without a reload.
  const [oneDay, label] =
    parisDay(1).weekday === 'dimanche' ? ['j2', 'Après-demain (J+2)'] : ['j1', 'Demain (J+1)'];
  await page.locator(`label[for=fenetre-${oneDay}]`).click();
  await expect(page).toHaveURL(new RegExp(`fenetre=${oneDay}`));
  await expect.poll(async () => (await days()).size).toBe(1);
  await expect(page.getByLabel(label)).toBeChecked();

  // Video only: every slot left is a video one.
  await page.locator('label[for=mode-cabinet]').click();
  await expect(page).toHaveURL(/mode=video/);
  await expect(page.getByLabel('Au cabinet')).not.toBeChecked();
  await expect(page.getByRole('heading', { level: 2 })).toBeVisible();
  // The results follow the URL asynchronously: wait until the cabinet slots are gone.
  await expect
    .poll(async () => (await page.locator('a.slot').allInnerTexts()).every((slot) => slot.includes('En vidéo')))
    .toBe(true);

  // Back twice: the first search again, form included.
  await page.goBack();
  await page.goBack();
  await expect(page).not.toHaveURL(/fenetre|mode=/);
  await expect(page.getByLabel('Au cabinet')).toBeChecked();
  await expect(page.getByLabel('Les 72 prochaines heures')).toBeChecked();
  await expect.poll(async () => (await days()).size).toBeGreaterThan(1);
  expect(await page.evaluate(() => (window as unknown as { sansRechargement?: boolean }).sansRechargement)).toBe(true);
  await expectAccessible(page);
});

test('une recherche préremplie par le logiciel du centre d’appel survit à la connexion et remplit le formulaire', async ({ page }) => {
  const prefilled = '/recherche?inseecode=35238&city=Rennes&speciality=SM54&origin=crra&rayon=15';
  // The session has ended: the link leads to the sign-in page, which keeps the address.
  await page.goto(prefilled);
  await expect(page).toHaveURL(/\/connexion\?retour=%2Frecherche%3Finseecode%3D35238/);
  await expect(page.getByRole('heading', { level: 1, name: 'Connexion' })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);
  await page.getByLabel('Adresse électronique').fill(REGULATOR);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  // Back to the exact address asked for, the search done.
  await expect(page).toHaveURL(prefilled);
  await expect(page.getByRole('combobox', { name: 'Commune ou code postal' })).toHaveValue('Rennes');
  await expect(page.getByLabel('Spécialité')).toHaveValue('medecine-generale');
  await expect(page.getByLabel(/Rayon \(km\)/)).toHaveValue('15');
  await expect(page.getByText('Autour de Rennes (35), dans un rayon de 15 km')).toBeVisible();
  await expect(page.locator('.practitioner-card').first()).toBeVisible();
  await expectAccessible(page);
});

test('sans lieu, la recherche s’ouvre sur le département du régulateur, par rotation', async ({ page }) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  await expect(page.getByText('dans tout le département Paris (75), par rotation équitable')).toBeVisible();
  const addresses = await page.locator('.practitioner-card .fr-card__desc').allInnerTexts();
  expect(addresses.length).toBeGreaterThan(0);
  for (const address of addresses) expect(address).toMatch(/750\d\d Paris/);
  await expectAccessible(page);
});

test('une carte dit qui est le médecin avant ses créneaux, et reste utilisable sur 360 px', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signIn(page, REGULATOR);
  await page.goto('/recherche?inseecode=69123&rayon=50');
  await hydrated(page);
  const card = page.locator('.practitioner-card').filter({ has: page.locator('a.slot') }).first();
  await expect(card).toBeVisible();
  const top = async (locator: ReturnType<Page['locator']>) => (await locator.first().boundingBox())!.y;
  const name = await top(card.getByRole('heading', { level: 3 }));
  const address = await top(card.locator('.fr-card__desc'));
  const phone = await top(card.locator('.fr-card__desc').locator('a[href^="tel:"], span', { hasText: /\d|non renseigné/ }));
  const firstDay = await top(card.locator('.day-label'));
  const firstSlot = await top(card.locator('a.slot'));
  expect(name).toBeLessThan(address);
  expect(address).toBeLessThanOrEqual(phone);
  expect(phone).toBeLessThan(firstDay);
  expect(firstDay).toBeLessThan(firstSlot);
  // Nothing wider than the screen; the slot opens.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  const slot = card.locator('a.slot').first();
  const box = (await slot.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(360);
  await expectAccessible(page);
  await slot.click();
  await expect(page).toHaveURL(/\/rendez-vous\/\d+$/);
});

test('la recherche s’utilise entièrement au clavier', async ({ page }) => {
  await signIn(page, REGULATOR);
  await hydrated(page);
  await page.getByRole('combobox', { name: 'Commune ou code postal' }).focus();
  await page.keyboard.type('Renn');
  await expect(page.getByRole('option', { name: /^Rennes \(35\)/ })).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('combobox', { name: 'Commune ou code postal' })).toHaveAttribute('aria-activedescendant', 'lieu-option-0');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/inseecode=35238/);
  await expect(page.locator('a.slot').first()).toBeVisible();
  // Tab through the form and the filters to the first slot, then open it.
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.classList.contains('slot'))) break;
  }
  await expect(page.locator('a.slot:focus')).toHaveCount(1);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/rendez-vous\/\d+$/);
  await expect(page.getByRole('heading', { name: 'Les informations du patient' })).toBeVisible();
});

test('une adresse de recherche erronée donne un message clair, jamais une erreur serveur', async ({ page }) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  for (const [url, message] of [
    ['/recherche?inseecode=99999', 'Commune inconnue'],
    ['/recherche?inseecode=75104&rayon=500', 'Le rayon doit être un nombre entier de kilomètres entre 1 et 200.'],
    ['/recherche?city=Zzyzx', 'Aucune commune ne correspond à « Zzyzx »'],
    ['/recherche?inseecode=75104&fenetre=demain&page=-1', 'Période inconnue'],
  ]) {
    const response = await page.goto(url);
    expect(response!.status(), url).toBeLessThan(500);
    await expect(page.getByRole('alert')).toContainText(message);
  }
  await expectAccessible(page);
});
