import { expect, expectAccessible, expectAccessibleWithoutJs, hydrated, REGULATOR, signIn, test } from './helpers';

const SECTIONS = [
  "Mode d'emploi des régulateurs / OSNP",
  'Contacter le support',
  'Médecins effecteurs : comment participer au SAS ?',
  'Dans quels cas prendre rendez-vous en vidéo ?',
];

test("l'aide s'ouvre depuis l'en-tête et se lit sans compte", async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('banner').getByRole('link', { name: 'Aide', exact: true }).click();
  await expect(page).toHaveURL(/\/aide$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Aide');
  const summary = page.getByRole('navigation', { name: 'Sommaire' });
  for (const title of SECTIONS) {
    await expect(page.getByRole('heading', { level: 2, name: title })).toBeVisible();
    await expect(summary.getByRole('link', { name: title })).toBeVisible();
  }
  await expect(page.getByRole('heading', { level: 3, name: 'Soit le médecin accepte des nouveaux patients' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 3, name: "Soit le médecin n'accepte pas de nouveaux patients" })).toBeVisible();
  // The demo server has no support contact: the page says so rather than inventing one.
  await expect(page.locator('#support')).toContainText("Aucun contact de support n'est configuré sur cette plateforme.");
  await expect(page.getByRole('contentinfo').getByRole('link', { name: 'Aide', exact: true })).toHaveAttribute('href', '/aide');
  await expectAccessible(page);
});

test.describe('sans JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test("l'aide est rendue par le serveur et lisible", async ({ browser, page }) => {
    await page.goto('/aide');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Aide');
    for (const title of SECTIONS) {
      await expect(page.getByRole('heading', { level: 2, name: title })).toBeVisible();
    }
    await expect(page.locator('#support')).toContainText('Aucun contact de support');
    await page.goto('/aide#video');
    await expect(page.locator('#video')).toBeInViewport();
    await expectAccessibleWithoutJs(browser, page);
  });
});

test('le funnel renvoie vers les cas de rendez-vous en vidéo, dans une nouvelle fenêtre', async ({ page }) => {
  await signIn(page, REGULATOR);
  await page.goto('/recherche?inseecode=69123');
  await hydrated(page);
  const slot = page.locator('.practitioner-card a.slot').first();
  const slotHref = (await slot.getAttribute('href'))!;
  await slot.click();
  await expect(page).toHaveURL(slotHref);
  await hydrated(page);
  await expect(page.getByRole('group', { name: /Type de consultation/ })).toBeVisible();
  const video = page.getByRole('link', { name: /Dans quels cas prendre rendez-vous en vidéo \?/ });
  await expect(video).toHaveAttribute('href', '/aide#video');
  await expect(video).toHaveAttribute('target', '_blank');
  await expect(video).toHaveAttribute('title', 'Dans quels cas prendre rendez-vous en vidéo ? - nouvelle fenêtre');
  await expectAccessible(page);
  // Release the slot for the other tests.
  await page.getByRole('button', { name: 'Annuler', exact: true }).click();
  await expect(page).toHaveURL(/\/recherche/);
});
