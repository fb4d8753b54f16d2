import { expect, expectAccessible, expectAccessibleWithoutJs, hydrated, PASSWORD, REGULATOR, signIn, test } from './helpers';

test.describe('sans JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('les pages sont rendues par le serveur et lisibles', async ({ browser, page }) => {
    await page.goto('/');
    await expect(page.getByRole('banner')).toContainText("Service d'Accès aux Soins");
    await expect(page.getByRole('heading', { level: 1 })).toHaveText("Service d'Accès aux Soins");
    // Started with --demo: the footer says so.
    await expect(page.getByRole('contentinfo')).toContainText('Données de démonstration');
    await expectAccessibleWithoutJs(browser, page);

    // A page that needs a session leads to the sign-in page, which brings the visitor back.
    await page.goto('/recherche?departement=75');
    await expect(page).toHaveURL(/\/connexion\?retour=%2Frecherche%3Fdepartement%3D75$/);
    await expect(page.getByText('Veuillez vous connecter pour accéder à cette page.')).toBeVisible();
    await expectAccessibleWithoutJs(browser, page);
    await page.getByLabel('Adresse électronique').fill(REGULATOR);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(page).toHaveURL(/\/recherche\?departement=75$/);
    await expect(page.getByText('dans tout le département Paris (75)')).toBeVisible();
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await expect(page).toHaveURL(/\/connexion$/);

    const missing = await page.goto('/nulle-part');
    expect(missing?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page introuvable');
    await expectAccessibleWithoutJs(browser, page);
  });

  test('un régulateur se connecte et voit les créneaux du département', async ({ browser, page }) => {
    await page.goto('/connexion');
    await page.getByLabel('Adresse électronique').fill(REGULATOR);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(page).toHaveURL(/\/recherche$/);
    await page.getByLabel('Commune ou code postal').fill('Rennes');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await expect(page).toHaveURL(/city=Rennes/);
    await expect(page.getByText('Autour de Rennes (35)')).toBeVisible();
    await expect(page.locator('.practitioner-card').first()).toBeVisible();
    await expect(page.getByText('Soins non programmés').first()).toBeVisible();
    await expectAccessibleWithoutJs(browser, page);
  });
});

test("un mauvais mot de passe est refusé sans dire si le compte existe", async ({ page }) => {
  const message = 'Adresse électronique ou mot de passe incorrect.';
  await signIn(page, REGULATOR, 'mauvais-mot-de-passe');
  await expect(page.getByRole('alert')).toContainText(message);
  await expect(page).toHaveURL(/\/connexion$/);
  await expectAccessible(page);
  await signIn(page, 'inconnu@demo.test', PASSWORD);
  await expect(page.getByRole('alert')).toContainText(message);
});

test("un médecin effecteur n'a pas accès à la recherche des régulateurs", async ({ page }) => {
  await signIn(page, 'sophie.martin@demo.test');
  await expect(page).toHaveURL(/\/agenda$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Mes rendez-vous' })).toBeVisible();
  await page.goto('/recherche?departement=75');
  await hydrated(page);
  await expect(page.getByRole('alert')).toContainText("Votre compte n'a pas accès à cette fonctionnalité.");
  await expect(page.locator('a.slot')).toHaveCount(0);
  await expectAccessible(page);
});

test("une requête d'un autre site est refusée", async ({ page }) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  const response = await page.request.post('/connexion', {
    headers: { Origin: 'http://autre-site.example' },
    form: { email: REGULATOR, password: PASSWORD },
  });
  expect(response.status()).toBe(403);
});
