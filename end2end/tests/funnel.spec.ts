import type { Page } from '@playwright/test';
import {
  expect,
  expectAccessible,
  fillMandatory,
  hydrated,
  openSlot,
  practitionerEmail,
  receivedMail,
  REGULATOR,
  signIn,
  signOut,
  sql,
  test,
} from './helpers';

const RENNES = '/recherche?inseecode=35238';
const PARIS = '/recherche?inseecode=75056&rayon=20';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
const APPOINTMENT_LINK = /https?:\/\/\S+\/adressages\/\d+/;

/** A social security number with its key: 97 − (number mod 97). */
function nir(body: string): string {
  return body + (97n - (BigInt(body) % 97n)).toString().padStart(2, '0');
}

async function confirm(page: Page) {
  await page.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
}

test('le parcours complet : chaque champ, la question du médecin, une pièce jointe ; le médecin lit tout', async ({ page }) => {
  // Whose slot: the first practitioner of a search around Rennes.
  await signIn(page, REGULATOR);
  await page.goto(RENNES);
  const name = (await page.locator('.practitioner-card h3').first().innerText()).trim();
  await signOut(page);

  // The practitioner asks for every extra field, and a question.
  await signIn(page, practitionerEmail(name));
  await page.goto('/agenda/parametres');
  await hydrated(page);
  for (const field of [
    'Email du patient',
    'Adresse postale du patient',
    'Numéro de sécurité sociale du patient',
    'Lieu de naissance du patient',
  ]) {
    await page.getByRole('checkbox', { name: field }).check({ force: true });
  }
  await page.getByLabel('À lire avant de prendre un rendez-vous').fill('Cabinet au 2e étage, sans ascenseur.');
  await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await expect(page.getByText('Paramètres enregistrés.')).toBeVisible();
  await page.getByLabel('Nouvelle question').fill('Quel est le traitement en cours ?');
  await page.getByLabel('Réponse obligatoire').check({ force: true });
  await page.getByRole('button', { name: 'Ajouter la question' }).click();
  await expect(page.getByText('Quel est le traitement en cours ? (réponse obligatoire)')).toBeVisible();
  await signOut(page);

  await signIn(page, REGULATOR);
  await openSlot(page, RENNES, name);
  await expect(page.getByText("Ce créneau vous est réservé jusqu'à")).toBeVisible();
  await expect(page.getByRole('timer')).toContainText(/Temps restant : (10|9) min/);

  // A — the slot's own type of consultation only; SNP preselected when the range has it.
  const modes = page.getByRole('group', { name: /Type de consultation/ });
  await expect(modes.getByRole('radio', { checked: true })).toHaveCount(1);
  await expect(modes.getByRole('radio', { disabled: true })).toHaveCount(1);
  const reason = page.getByLabel('Motif de consultation');
  if ((await reason.locator('option', { hasText: 'Soins non programmés' }).count()) > 0) {
    await expect(reason.locator('option:checked')).toHaveText('Soins non programmés');
  }
  await expect(page.getByText('Cabinet au 2e étage, sans ascenseur.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Praticien référent' })).toBeVisible();
  await expect(page.getByText('SAS', { exact: true })).toBeVisible();

  // Everything the practitioner asks is mandatory now.
  await page.getByRole('radio', { name: 'Non', exact: true }).check({ force: true });
  if ((await reason.inputValue()) === '') await reason.selectOption({ index: 1 });
  await confirm(page);
  for (const id of ['birth_place', 'email', 'address', 'nir', 'first_name']) {
    await expect(page.locator(`#${id}-error`)).toBeVisible();
  }
  await expect(page.locator('[id^="question-"][id$="-error"]')).toHaveText('Ce champ est obligatoire.');

  await page.getByRole('radio', { name: 'Madame' }).check({ force: true });
  await page.getByLabel('Prénom du patient').fill('Marie');
  await page.getByRole('textbox', { name: 'Nom du patient', exact: true }).fill('Durand');
  await page.getByLabel('Nom de naissance du patient').fill('Martin');
  await page.getByLabel('Date de naissance du patient').fill('21/11/1952');
  await page.getByLabel('Lieu de naissance du patient').selectOption('france');
  await page.getByRole('combobox', { name: /Ville de naissance/ }).fill('Lyon');
  await page.getByRole('option', { name: /^Lyon \(69\)/ }).click();
  await page.getByLabel('Téléphone du patient').fill('+32 470 12 34 56');
  await page.getByLabel('Email du patient').fill('marie.durand@exemple.fr');
  await page.getByLabel('Adresse postale du patient').fill('3 rue de la Paix, 35000 Rennes');
  const socialSecurity = nir('2521169123001');
  await page.getByLabel('Numéro de sécurité sociale du patient').fill(socialSecurity);
  await page.getByLabel('Quel est le traitement en cours ?').fill('Aucun traitement');
  await expect(page.getByText('Attention : ce message ne sera pas lu en temps réel')).toBeVisible();
  await page.getByLabel('Message à destination du praticien').fill('Fièvre depuis trois jours.');
  await page.getByLabel('Pièce jointe').setInputFiles({ name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: PDF });
  await expect(page.getByText('Pièce jointe ajoutée : ordonnance.pdf')).toBeVisible();
  await expectAccessible(page);

  const before = Date.now() - 1000;
  await confirm(page);
  await expect(page.getByRole('heading', { name: 'Rendez-vous confirmé' })).toBeVisible();
  await expect(page.getByText('est réservé pour votre patient, Marie DURAND')).toContainText(name);
  await expectAccessible(page);

  await page.getByRole('link', { name: 'Voir le rendez-vous' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Rendez-vous SAS' })).toBeVisible();
  for (const text of [
    'Né(e) en France — Lyon (69123)',
    '+32 470 12 34 56',
    'marie.durand@exemple.fr',
    socialSecurity,
    'Aucun traitement',
    'Fièvre depuis trois jours.',
  ]) {
    await expect(page.getByText(text, { exact: true })).toBeVisible();
  }
  await expect(page.getByRole('link', { name: /ordonnance\.pdf/ })).toBeVisible();
  await expectAccessible(page);

  await page.getByRole('link', { name: 'Mes adressages' }).first().click();
  const row = page.getByRole('row', { name: /Marie DURAND \(naissance : MARTIN\)/ });
  await expect(row).toContainText('Réservé');
  await expect(row).toContainText(name);
  await expectAccessible(page);

  // The practitioner is told by mail (no patient data in it) and reads everything.
  const email = practitionerEmail(name);
  const mail = await receivedMail(email, 'Nouveau rendez-vous SAS', before, APPOINTMENT_LINK);
  expect(mail.text).not.toContain('Durand');
  await signOut(page);
  await signIn(page, email);
  await page.goto(new URL(mail.link).pathname);
  await hydrated(page);
  await expect(page.getByText('Fièvre depuis trois jours.')).toBeVisible();
  await expect(page.getByText('Aucun traitement')).toBeVisible();
  const href = (await page.getByRole('link', { name: /ordonnance\.pdf/ }).getAttribute('href'))!;
  const file = await page.request.get(href);
  expect(file.status()).toBe(200);
  expect(file.headers()['content-type']).toBe('application/pdf');
  expect(Buffer.from(await file.body())).toEqual(PDF);
  // Honoré / non honoré once the time has come.
  await page.getByRole('radio', { name: 'Honoré', exact: true }).check({ force: true });
  await page.getByRole('button', { name: 'Enregistrer le résultat' }).click();
  await expect(page.locator('#outcome-error')).toContainText('une fois son heure passée');
  await expectAccessible(page);
  // The week view shows who, why, the message and the file.
  await page.goto('/agenda/semaine');
  await hydrated(page);
  const booked = page.getByRole('link', { name: 'Réservé : Marie DURAND' });
  // The slot may fall in next week (the search looks 72 hours ahead).
  if ((await booked.count()) === 0) await page.getByRole('link', { name: 'Semaine suivante' }).click();
  const cell = page.locator('li', { has: page.getByRole('link', { name: 'Réservé : Marie DURAND' }) }).first();
  await expect(cell).toContainText('Message : Fièvre depuis trois jours.');
  await expect(cell).toContainText('1 pièce jointe');
  await expectAccessible(page);
});

test('une pièce jointe d’un mauvais type est refusée avec le message du guide', async ({ page }) => {
  await signIn(page, REGULATOR);
  await openSlot(page, PARIS);
  const rule = 'La pièce jointe doit être de l\'un des formats suivants: .pdf, .jpg, .jpeg, .png et moins de 50 Mo';
  const attachment = page.getByLabel('Pièce jointe');
  // Refused in the browser by its name…
  await attachment.setInputFiles({ name: 'programme.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  await expect(page.locator('#attachment-error')).toHaveText(rule);
  // …and by the server by its content.
  await attachment.setInputFiles({ name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00pas un pdf') });
  await expect(page.locator('#attachment-error')).toHaveText(rule);
  await expect(attachment).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page);
  await attachment.setInputFiles({ name: 'radio.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1') });
  await expect(page.getByText('Pièce jointe ajoutée : radio.png')).toBeVisible();
  await expect(page.locator('#attachment-error')).toBeHidden();
  await page.getByRole('button', { name: 'Annuler' }).click();
  await expect(page).toHaveURL(/\/recherche$/);
});

test('une réservation temporaire expirée : le créneau est libéré, les saisies restent, on le reprend', async ({ page }) => {
  await signIn(page, REGULATOR);
  const { slotId } = await openSlot(page, PARIS);
  await fillMandatory(page);
  // Ten minutes later, as far as the server is concerned.
  sql('UPDATE slot_holds SET expires_at = 0 WHERE slot_id = ?', slotId);
  await confirm(page);
  await expect(page.getByRole('heading', { name: 'Délai de réservation dépassé' })).toBeVisible();
  await expect(page.getByLabel('Prénom du patient')).toHaveValue('Marie');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Reprendre ce créneau' }).click();
  await expect(page.getByRole('heading', { name: 'Délai de réservation dépassé' })).toBeHidden();
  await expect(page.getByLabel('Téléphone du patient')).toHaveValue('06 45 37 26 53');
  await confirm(page);
  await expect(page.getByRole('heading', { name: 'Rendez-vous confirmé' })).toBeVisible();
});

test('un créneau pris entre-temps : trois créneaux proches, et les saisies suivent le créneau choisi', async ({ page }) => {
  await signIn(page, REGULATOR);
  const { slotId, href } = await openSlot(page, PARIS);
  await fillMandatory(page);
  // Another regulator holds it now.
  sql(
    "UPDATE slot_holds SET regulator_id = (SELECT id FROM users WHERE email = 'admin.sas@demo.test') WHERE slot_id = ?",
    slotId,
  );
  await confirm(page);
  await expect(page.getByRole('heading', { name: "Ce créneau vient d'être réservé" })).toBeVisible();
  const alternatives = page.locator('.alternatives button');
  await expect(alternatives).toHaveCount(3);
  await expectAccessible(page);
  await alternatives.first().click();
  await expect(page.getByRole('heading', { name: "Ce créneau vient d'être réservé" })).toBeHidden();
  await expect(page).not.toHaveURL(href);
  await expect(page.getByLabel('Nom de naissance du patient')).toHaveValue('Martin');
  // Another practitioner's reasons: SNP when offered, otherwise the regulator chooses again.
  const reason = page.getByLabel('Motif de consultation');
  if ((await reason.inputValue()) === '') await reason.selectOption({ index: 1 });
  await confirm(page);
  await expect(page.getByRole('heading', { name: 'Rendez-vous confirmé' })).toBeVisible();
});

test("l'adresse d'un créneau ouverte directement ne le réserve pas : le régulateur choisit de le réserver", async ({ page }) => {
  await signIn(page, REGULATOR);
  await page.goto(PARIS);
  const href = (await page.locator('a.slot').first().getAttribute('href'))!;
  // Opened by its address (a bookmark, a new tab): nothing is held yet.
  await page.goto(href);
  await hydrated(page);
  const hold = page.getByRole('button', { name: 'Réserver ce créneau' });
  await expect(hold).toBeVisible();
  await expectAccessible(page);
  const search = await page.context().newPage();
  await search.goto(PARIS);
  await expect(search.locator(`a.slot[href="${href}"]`)).toHaveCount(1);
  // The regulator chooses to hold it: the funnel opens and the slot leaves the search.
  await hold.click();
  await expect(page.getByRole('button', { name: 'Confirmer le rendez-vous' })).toBeVisible();
  await search.goto(PARIS);
  await expect(search.locator('a.slot').first()).toBeVisible();
  await expect(search.locator(`a.slot[href="${href}"]`)).toHaveCount(0);
});

test('une annulation avec son motif remet le créneau dans la recherche et prévient le médecin', async ({ page }) => {
  await signIn(page, REGULATOR);
  const { href, name } = await openSlot(page, PARIS);
  // Held: gone from the search while the funnel is open.
  const search = await page.context().newPage();
  await search.goto(PARIS);
  await expect(search.locator('a.slot').first()).toBeVisible();
  await expect(search.locator(`a.slot[href="${href}"]`)).toHaveCount(0);
  await fillMandatory(page);
  await confirm(page);
  await expect(page.getByRole('heading', { name: 'Rendez-vous confirmé' })).toBeVisible();
  await page.getByRole('link', { name: 'Voir le rendez-vous' }).click();
  await hydrated(page);

  await page.getByRole('button', { name: 'Annuler le rendez-vous' }).click();
  await expect(page.locator('#cancel_reason-error')).toHaveText("Indiquez le motif de l'annulation.");
  const before = Date.now() - 1000;
  await page.getByLabel("Motif de l'annulation").fill('Le patient se rend aux urgences.');
  await page.getByRole('button', { name: 'Annuler le rendez-vous' }).click();
  await expect(page.locator('#statut')).toHaveText('Annulé');
  await expect(page.getByText("Motif de l'annulation : Le patient se rend aux urgences.")).toBeVisible();
  await expectAccessible(page);

  await search.goto(PARIS);
  await expect(search.locator(`a.slot[href="${href}"]`)).toHaveCount(1);
  const mail = await receivedMail(practitionerEmail(name), 'annulé', before, APPOINTMENT_LINK);
  expect(mail.subject).toMatch(/^Rendez-vous SAS du .* annulé$/);
  await page.goto('/adressages');
  await expect(page.getByRole('row').filter({ hasText: name }).first()).toContainText('Annulé');
});
