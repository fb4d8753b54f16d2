import { expect, expectAccessible, hydrated, REGULATOR, signIn, test } from './helpers';

test('un formulaire incomplet est signalé champ par champ et rien n’est réservé', async ({ page }) => {
  await signIn(page, REGULATOR);
  await expect(page).toHaveURL(/\/recherche$/);
  await page.goto('/recherche?inseecode=75056&rayon=20');
  await hydrated(page);
  const slot = page.locator('a.slot').first();
  const slotHref = (await slot.getAttribute('href'))!;
  await slot.click();
  await expect(page).toHaveURL(slotHref);
  await hydrated(page);

  await page.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
  // Step A: whether the patient already saw this practitioner has no default.
  await expect(page.locator('#known_patient-error')).toHaveText('Indiquez si le patient a déjà consulté ce praticien.');
  const fields = [
    ['first_name', 'Prénom du patient'],
    ['last_name', 'Nom du patient'],
    ['birth_name', 'Nom de naissance du patient'],
    ['birth_date', 'Date de naissance du patient'],
    ['phone', 'Téléphone du patient'],
  ];
  for (const [id] of fields) {
    const input = page.locator(`#${id}`);
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    await expect(input).toHaveAttribute('aria-describedby', `${id}-error`);
    await expect(page.locator(`#${id}-error`)).toHaveText('Ce champ est obligatoire.');
  }
  await expect(page.locator('#known_patient-oui')).toBeFocused();
  await expectAccessible(page);

  // Messages follow the input as the regulator goes.
  await page.getByLabel('Téléphone du patient').fill('06 45');
  await page.getByLabel('Téléphone du patient').blur();
  await expect(page.locator('#phone-error')).toContainText('Numéro de téléphone invalide');
  await page.getByLabel('Date de naissance du patient').fill('01/01/2999');
  await page.getByLabel('Date de naissance du patient').blur();
  await expect(page.locator('#birth_date-error')).toHaveText('La date de naissance ne peut pas être dans le futur.');
  await page.getByLabel('Prénom du patient').fill('Marie');
  await page.getByLabel('Prénom du patient').blur();
  await expect(page.locator('#first_name-error')).toBeHidden();

  // The server refuses the same input on its own, whatever the browser did.
  const refused = await page.request.post('/api/booking/book_slot', {
    headers: { Accept: 'application/json' },
    form: {
      'request[slot_id]': slotHref.split('/').pop()!,
      'request[idempotency_key]': 'essai',
      'request[choices][mode]': 'cabinet',
      'request[patient][first_name]': 'Marie',
      'request[patient][last_name]': '',
      'request[patient][birth_name]': 'Martin',
      'request[patient][birth_date]': '21/11/1952',
      'request[patient][phone]': '12',
    },
  });
  expect(refused.status()).toBe(422);
  const body = await refused.text();
  expect(body).toContain('Ce champ est obligatoire.');
  expect(body).toContain('Numéro de téléphone invalide');
  expect(body).toContain('Indiquez si le patient a déjà consulté ce praticien.');

  // Leaving the funnel gives the slot back.
  await page.getByRole('button', { name: 'Annuler' }).click();
  await expect(page).toHaveURL(/\/recherche$/);

  // Nothing was booked: the slot is still offered.
  await page.goto('/recherche?inseecode=75056&rayon=20');
  await expect(page.locator(`a.slot[href="${slotHref}"]`)).toHaveCount(1);
});
