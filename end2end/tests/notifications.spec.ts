import {
  expect,
  expectAccessible,
  fillMandatory,
  hydrated,
  openSlot,
  parisDay,
  practitionerEmail,
  receivedMail,
  REGULATOR,
  signIn,
  signOut,
  test,
} from './helpers';

const PARIS = '/recherche?inseecode=75056&rayon=20';
const APPOINTMENT_LINK = /https?:\/\/\S+\/adressages\/\d+/;

test('le patient reçoit sa confirmation avec le fichier agenda ; le médecin annule : régulateur et patient prévenus, « à replanifier » jusqu’à prise de connaissance', async ({ page }) => {
  const patient = `patient.${Date.now()}@exemple.fr`;
  await signIn(page, REGULATOR);
  const { name } = await openSlot(page, PARIS);
  await fillMandatory(page);
  await expect(page.getByText('Le patient y reçoit la confirmation du rendez-vous')).toBeVisible();
  await page.getByLabel('Email du patient').fill(patient);
  const booked = Date.now() - 1000;
  await page.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
  await expect(page.getByRole('heading', { name: 'Rendez-vous confirmé' })).toBeVisible();
  await page.getByRole('link', { name: 'Voir le rendez-vous' }).click();
  await expect(page).toHaveURL(/\/adressages\/\d+$/);
  const appointment = new URL(page.url()).pathname;

  // The patient's confirmation: when, who, where, and the appointment as an .ics file.
  const confirmation = await receivedMail(patient, 'Votre rendez-vous médical le', booked, null);
  expect(confirmation.text).toContain(`Praticien : ${name}`);
  expect(confirmation.text).toMatch(/Heure : \d\d:\d\d/);
  expect(confirmation.text).toContain('Adresse : ');
  expect(confirmation.text).not.toContain('Durand');
  expect(confirmation.attachments.map((a) => a.name)).toEqual(['rendez-vous.ics']);
  const [ics] = confirmation.attachments;
  expect(ics.contentType).toContain('text/calendar');
  // Unfolded; the Maildir stores the mail's CRLF line ends as LF (the unit tests check CRLF).
  const lines = ics.text.replace(/\r?\n /g, '').split(/\r?\n/);
  expect(lines).toContain('BEGIN:VEVENT');
  expect(lines).toContain(`SUMMARY:Rendez-vous médical — ${name}`);
  expect(lines.find((l) => l.startsWith('DTSTART:'))).toMatch(/^DTSTART:\d{8}T\d{6}Z$/);
  expect(lines.find((l) => l.startsWith('UID:'))).toMatch(/^UID:rendez-vous-\d+@/);
  await signOut(page);

  // The practitioner cancels: the appointment is « à replanifier ».
  await signIn(page, practitionerEmail(name));
  await page.goto(appointment);
  await hydrated(page);
  const cancelled = Date.now() - 1000;
  await page.getByRole('radio', { name: 'Annulé', exact: true }).check({ force: true });
  await page.getByRole('button', { name: 'Enregistrer le résultat' }).click();
  await expect(page.locator('#statut')).toHaveText('À replanifier');
  await expect(page.getByText("Motif de l'annulation : Annulé par le praticien")).toBeVisible();
  await expectAccessible(page);
  await signOut(page);

  // The regulator is told without patient data, with a link; the patient is told too.
  const told = await receivedMail(REGULATOR, 'à replanifier', cancelled, APPOINTMENT_LINK);
  expect(new URL(told.link).pathname).toBe(appointment);
  // (What the practitioner's own name holds, like a Martin, is not the patient's.)
  for (const data of ['Marie', 'Durand', 'DURAND', 'Martin', '06 45', '1952', patient]) {
    if (!name.includes(data)) expect(told.text).not.toContain(data);
  }
  const patientTold = await receivedMail(patient, 'est annulé', cancelled, null);
  expect(patientTold.text).toContain('le cabinet du médecin ne peut pas vous recevoir');
  // Its calendar file withdraws the same event (same UID) from the patient's calendar.
  expect(patientTold.attachments.map((a) => a.name)).toEqual(['rendez-vous.ics']);
  const withdrawn = patientTold.attachments[0].text.replace(/\r?\n /g, '').split(/\r?\n/);
  expect(withdrawn).toContain('STATUS:CANCELLED');
  expect(withdrawn.find((l) => l.startsWith('UID:'))).toBe(lines.find((l) => l.startsWith('UID:')));

  // « Mes adressages »: a banner until « J'ai pris connaissance », kept once acknowledged.
  await signIn(page, REGULATOR);
  await page.goto('/adressages');
  await hydrated(page);
  const banner = page.getByRole('region', { name: /à replanifier/ });
  const item = banner.locator('li', { has: page.locator(`a[href="${appointment}"]`) });
  await expect(item).toContainText(name);
  await expect(item).toContainText('Annulé par le praticien');
  await expectAccessible(page);
  await item.getByRole('button', { name: /J'ai pris connaissance/ }).click();
  await expect(item).toHaveCount(0);
  const row = page.locator('tr', { has: page.locator(`a[href="${appointment}"]`) });
  await expect(row).toContainText('À replanifier');
  await expectAccessible(page);
  await page.reload();
  await hydrated(page);
  await expect(page.locator(`li a[href="${appointment}"]`)).toHaveCount(0);
  await expect(row).toContainText('À replanifier');
});

test('une absence déclarée sur un rendez-vous pris le rend « à replanifier » : régulateur et patient prévenus', async ({ page }) => {
  const patient = `absence.${Date.now()}@exemple.fr`;
  await signIn(page, REGULATOR);
  const { name } = await openSlot(page, PARIS);
  // « mardi 1 décembre à 10:20 »: the day of the slot, among the next two weeks.
  const dayLabel = (await page.locator('#creneau').innerText()).trim().split(' à ')[0];
  const day = [...Array(15).keys()].map(parisDay).find((d) => d.label === dayLabel)!;
  expect(day, dayLabel).toBeDefined();
  await fillMandatory(page);
  await page.getByLabel('Email du patient').fill(patient);
  await page.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
  await expect(page.getByRole('heading', { name: 'Rendez-vous confirmé' })).toBeVisible();
  await page.getByRole('link', { name: 'Voir le rendez-vous' }).click();
  await expect(page).toHaveURL(/\/adressages\/\d+$/);
  const appointment = new URL(page.url()).pathname;
  await signOut(page);

  // The practitioner is away that whole day.
  await signIn(page, practitionerEmail(name));
  await page.goto('/agenda/plages');
  await hydrated(page);
  await page.getByLabel('Début : date').fill(day.iso);
  await page.getByLabel('Début : heure').fill('00:00');
  await page.getByLabel('Fin : date').fill(day.iso);
  await page.getByLabel('Fin : heure').fill('23:59');
  await page.getByLabel("Motif de l'absence").fill('Formation');
  const absent = Date.now() - 1000;
  await page.getByRole('button', { name: "Ajouter l'absence" }).click();
  await expect(page.getByText(`Absence du ${day.fr} à 00:00 au ${day.fr} à 23:59 — Formation`)).toBeVisible();
  await signOut(page);

  // The regulator's mail about this appointment, without the patient; the patient's mail.
  const told = await receivedMail(REGULATOR, 'à replanifier', absent, new RegExp(`https?://\\S+${appointment}\\b`));
  expect(told.text).toContain('absence du praticien');
  for (const data of ['Marie', 'Durand', 'DURAND', '06 45', '1952', patient]) {
    if (!name.includes(data)) expect(told.text).not.toContain(data);
  }
  const patientTold = await receivedMail(patient, 'est annulé', absent, null);
  expect(patientTold.text).toContain('le cabinet du médecin ne peut pas vous recevoir');

  await signIn(page, REGULATOR);
  await page.goto('/adressages');
  await hydrated(page);
  const banner = page.getByRole('region', { name: /à replanifier/ });
  const item = banner.locator('li', { has: page.locator(`a[href="${appointment}"]`) });
  await expect(item).toContainText('Absence du praticien');
  await expectAccessible(page);
  await page.goto(appointment);
  await hydrated(page);
  await expect(page.locator('#statut')).toHaveText('À replanifier');
  await expect(page.getByText("Motif de l'annulation : Absence du praticien")).toBeVisible();
});
