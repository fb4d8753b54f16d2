import {
  expect,
  expectAccessible,
  hydrated,
  practitionerEmail,
  REGULATOR,
  signIn,
  signOut,
  test,
} from './helpers';

const LYON = '/recherche?inseecode=69123';
const OWN = 'Apportez votre carnet de santé et vos derniers examens.';
const GENERAL = 'Cabinet au rez-de-chaussée, sonnez deux fois.';

test('« À lire avant de prendre un rendez-vous » par motif, le message général sinon ; la durée du motif dans le parcours', async ({ page }) => {
  // Whose slot: the first practitioner of a search around Lyon.
  await signIn(page, REGULATOR);
  await page.goto(LYON);
  const name = (await page.locator('.practitioner-card h3').first().innerText()).trim();
  await signOut(page);

  // The practitioner writes a notice for one reason, and a general one.
  await signIn(page, practitionerEmail(name));
  await page.goto('/agenda/motifs');
  await hydrated(page);
  await page.getByRole('button', { name: 'Modifier le motif « Consultation de médecine générale »' }).click();
  await expect(page.getByRole('heading', { name: 'Modifier le motif « Consultation de médecine générale »' })).toBeVisible();
  await page.getByLabel('À lire avant de prendre un rendez-vous (facultatif)').fill(OWN);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Enregistrer le motif' }).click();
  await expect(page.getByRole('heading', { name: 'Nouveau motif' })).toBeVisible();
  // Edited again, the reason shows its notice.
  await page.getByRole('button', { name: 'Modifier le motif « Consultation de médecine générale »' }).click();
  await expect(page.getByLabel('À lire avant de prendre un rendez-vous (facultatif)')).toHaveValue(OWN);
  await page.goto('/agenda/parametres');
  await hydrated(page);
  await page.getByLabel('À lire avant de prendre un rendez-vous').fill(GENERAL);
  await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await expect(page.getByText('Paramètres enregistrés.')).toBeVisible();
  await signOut(page);

  // The regulator reads the notice of the reason chosen, the general one for another reason.
  await signIn(page, REGULATOR);
  await page.goto(LYON);
  await hydrated(page);
  const card = page.locator('.practitioner-card', { has: page.getByRole('heading', { name, exact: true }) });
  const slot = card.locator('a.slot').first();
  const href = (await slot.getAttribute('href'))!;
  await slot.click();
  await expect(page).toHaveURL(href);
  await hydrated(page);
  const reason = page.getByLabel('Motif de consultation');
  await reason.selectOption({ label: 'Consultation de médecine générale (20 min)' });
  await expect(page.getByText(OWN)).toBeVisible();
  await expect(page.getByText(GENERAL)).toHaveCount(0);
  await expectAccessible(page);
  await reason.selectOption({ label: 'Suivi patient habituel (20 min)' });
  await expect(page.getByText(GENERAL)).toBeVisible();
  await expect(page.getByText(OWN)).toHaveCount(0);
  await expectAccessible(page);
});
