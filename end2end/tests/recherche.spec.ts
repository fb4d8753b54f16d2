import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, hydrated, REGULATOR, signIn } from './helpers';

/** Demo practitioners of the Rhône the eligibility rule hides: not registered, or nothing open. */
const HIDDEN_IN_69 = ['Nathalie Simon', 'Élodie François', 'Chloé Gauthier', 'Aurélie Bertrand', 'Agnès Blanc'];

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
  await expect(page.locator('.practitioner-card')).toHaveCount(5);
  await expect(page.locator('.practitioner-card').first()).toContainText(/0[1-9] \d\d \d\d \d\d \d\d|N° de téléphone non renseigné/);
  await expectAccessible(page);

  const { names, distances } = await allCards(page);
  expect(names.length).toBeGreaterThan(5);
  expect(distances).toEqual([...distances].sort((a, b) => a - b));
  for (const hidden of HIDDEN_IN_69) expect(names).not.toContain(`Dr ${hidden}`);
  // Back to the first page: the URL carries the page.
  await page.goBack();
  await expect(page).toHaveURL(/page=/);
});

test('changer un filtre met les résultats à jour sans recharger la page, et le retour arrière rétablit la recherche', async ({ page }) => {
  await signIn(page, REGULATOR);
  await page.goto('/recherche?inseecode=69123&rayon=50');
  await hydrated(page);
  await expect(page.locator('a.slot').first()).toBeVisible();
  await page.evaluate(() => ((window as unknown as { sansRechargement: boolean }).sansRechargement = true));
  const heading = page.getByRole('heading', { level: 2 });
  const before = await heading.innerText();

  await page.getByLabel('Au cabinet').uncheck();
  await expect(page).toHaveURL(/mode=video/);
  await expect(heading).not.toHaveText(before);
  const modes = await page.locator('a.slot').allInnerTexts();
  expect(modes.length).toBeGreaterThan(0);
  for (const slot of modes) expect(slot).toContain('En vidéo');
  await expect(page.getByLabel('Au cabinet')).not.toBeChecked();

  await page.getByLabel('0 – 4 h').check();
  await expect(page).toHaveURL(/sous=0-4/);
  await page.goBack();
  await page.goBack();
  await expect(page).not.toHaveURL(/mode=/);
  await expect(page.getByLabel('Au cabinet')).toBeChecked();
  await expect(heading).toHaveText(before);
  expect(await page.evaluate(() => (window as unknown as { sansRechargement?: boolean }).sansRechargement)).toBe(true);
  await expectAccessible(page);
});

test('une recherche préremplie par le logiciel du centre d’appel remplit le formulaire', async ({ page }) => {
  await signIn(page, REGULATOR);
  await page.goto('/recherche?inseecode=35238&city=Rennes&speciality=SM54&origin=crra&rayon=15');
  await hydrated(page);
  await expect(page.getByRole('combobox', { name: 'Commune ou code postal' })).toHaveValue('Rennes');
  await expect(page.getByLabel('Spécialité')).toHaveValue('medecine-generale');
  await expect(page.getByLabel(/Rayon \(km\)/)).toHaveValue('15');
  await expect(page.getByText('Autour de Rennes (35), dans un rayon de 15 km')).toBeVisible();
  await expect(page.locator('.practitioner-card').first()).toBeVisible();
  await expectAccessible(page);
});

test('la recherche s’utilise entièrement au clavier', async ({ page }) => {
  await signIn(page, REGULATOR);
  await hydrated(page);
  await page.getByRole('combobox', { name: 'Commune ou code postal' }).focus();
  await page.keyboard.type('Renn');
  await expect(page.getByRole('option', { name: /^Rennes \(35\)/ })).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('combobox')).toHaveAttribute('aria-activedescendant', 'lieu-option-0');
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
