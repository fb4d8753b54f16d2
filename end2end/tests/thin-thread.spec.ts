import { expect, expectAccessible, hydrated, practitionerEmail, REGULATOR, signIn, signOut, test } from './helpers';

test('un régulateur réserve un créneau pour un patient, le créneau disparaît et le médecin voit le rendez-vous', async ({ page }) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Rechercher un créneau' })).toBeVisible();
  await expectAccessible(page);

  await hydrated(page);
  await page.getByRole('combobox', { name: 'Commune ou code postal' }).fill('Lyon');
  await page.getByRole('option', { name: /^Lyon \(69\)/ }).click();
  await expect(page).toHaveURL(/inseecode=69123/);
  await expect(page.getByRole('heading', { level: 2, name: /praticiens et \d+ créneaux disponibles/ })).toBeVisible();
  await expectAccessible(page);

  const card = page.locator('.practitioner-card').first();
  const practitioner = (await card.locator('h3').innerText()).trim();
  const slot = card.locator('a.slot').first();
  const slotHref = (await slot.getAttribute('href'))!;
  const slotCount = await page.locator('a.slot').count();
  await slot.click();
  await expect(page).toHaveURL(slotHref);
  await hydrated(page);

  await expect(page.getByText(practitioner)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Praticien référent' })).toBeVisible();
  await expect(page.getByText('SAS', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Les informations du patient' })).toBeVisible();
  await page.getByRole('radio', { name: 'Non', exact: true }).check({ force: true });
  const reason = page.getByLabel('Motif de consultation');
  if ((await reason.inputValue()) === '') await reason.selectOption({ index: 1 });
  await page.getByLabel('Prénom du patient').fill('Marie');
  await page.getByRole('textbox', { name: 'Nom du patient', exact: true }).fill('Durand');
  await page.getByLabel('Nom de naissance du patient').fill('Martin');
  await page.getByLabel('Date de naissance du patient').fill('21/11/1952');
  await page.getByLabel('Téléphone du patient').fill('06 45 37 26 53');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();

  await expect(page.getByRole('heading', { name: 'Rendez-vous confirmé' })).toBeVisible();
  await expect(page.getByText(`est réservé pour votre patient`)).toContainText(practitioner);
  await expectAccessible(page);

  // The slot is gone from the search; the others are still there.
  await page.goto('/recherche?inseecode=69123');
  await expect(page.locator('a.slot').first()).toBeVisible();
  await expect(page.locator(`a.slot[href="${slotHref}"]`)).toHaveCount(0);
  await expect(page.locator('a.slot')).toHaveCount(slotCount - 1);

  // The practitioner finds the appointment, with the patient's identity.
  await signOut(page);
  await signIn(page, practitionerEmail(practitioner));
  await expect(page).toHaveURL(/\/agenda$/);
  const row = page.getByRole('row', { name: /Marie DURAND \(naissance : MARTIN\)/ });
  await expect(row).toContainText('21/11/1952');
  await expect(row).toContainText('06 45 37 26 53');
  await expect(row).toContainText('Réservé');
  await expectAccessible(page);
});
