import {
  expect,
  expectAccessible,
  hydrated,
  now,
  paris,
  practitionerEmail,
  receivedMail,
  REGULATOR,
  signIn,
  signOut,
  test,
} from './helpers';
import type { Page } from '@playwright/test';

const PARIS = '/recherche?inseecode=75056&rayon=20';
const REQUEST_LINK = /https?:\/\/\S+\/surnumeraires\/\d+/;

/** The Paris day and time `hours` from now by the tests' clock, as the form's inputs take them. */
function inHours(hours: number) {
  const at = new Date(now().getTime() + hours * 3600_000);
  const time = new Intl.DateTimeFormat('fr-FR', {
    timeZone: 'Europe/Paris',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
  return { day: paris(at).iso, time };
}

async function propose(page: Page, hours: number) {
  const { day, time } = inHours(hours);
  await page.getByLabel('Jour proposé').fill(day);
  await page.getByLabel('Heure proposée').fill(time);
}

async function fillPatient(page: Page) {
  await page.getByLabel('Prénom du patient').fill('Marie');
  await page.getByRole('textbox', { name: 'Nom du patient', exact: true }).fill('Durand');
  await page.getByLabel('Nom de naissance du patient').fill('Martin');
  await page.getByLabel('Date de naissance du patient').fill('21/11/1952');
  await page.getByLabel('Téléphone du patient').fill('06 45 37 26 53');
}

/** What a mail about the request must not carry: the patient. */
function withoutPatient(text: string, practitioner: string) {
  for (const data of ['Marie', 'Durand', 'DURAND', 'Martin', '06 45', '1952', 'abdominale']) {
    if (!practitioner.includes(data)) expect(text).not.toContain(data);
  }
}

test('surnuméraire : demandé depuis la recherche, refusé avec un motif, redemandé à un autre médecin sans tout ressaisir, accepté : un rendez-vous hors agenda', async ({ page }) => {
  await signIn(page, REGULATOR);
  await page.goto(PARIS);
  await hydrated(page);
  const card = page.locator('.practitioner-card').first();
  const first = (await card.locator('h3').innerText()).trim();
  await card.getByRole('link', { name: /Demander un surnuméraire/ }).click();
  await expect(page).toHaveURL(/\/surnumeraire\/nouveau\?praticien=\d+&retour=/);
  await expect(page.getByRole('heading', { name: 'Demander un surnuméraire', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: first })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);

  // Nothing typed, then a time already past: each field says what is wrong, nothing is sent.
  await page.getByLabel('Heure proposée').fill('');
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  await expect(page.locator('#time-error')).toHaveText('Ce champ est obligatoire.');
  await expect(page.locator('#first_name-error')).toHaveText('Ce champ est obligatoire.');
  await expect(page.getByLabel('Heure proposée')).toBeFocused();
  await expectAccessible(page);
  await propose(page, -2);
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  await expect(page.locator('#time-error')).toHaveText('Cette heure est passée : proposez une heure à venir.');

  await propose(page, 3);
  await fillPatient(page);
  await page.getByLabel('Message à destination du praticien').fill('Douleur abdominale depuis hier soir');
  const sent = Date.now() - 1000;
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  await expect(page).toHaveURL(/\/surnumeraires\/\d+$/);
  const firstRequest = new URL(page.url()).pathname;
  await expect(page.locator('#statut')).toHaveText(`En attente de la réponse du ${first}`);
  await expect(page.locator('dd', { hasText: /^Marie$/ })).toBeVisible();
  await expectAccessible(page);

  // The practitioner is told by mail, with a link and without the patient.
  const asked = await receivedMail(practitionerEmail(first), 'Demande de surnuméraire SAS', sent, REQUEST_LINK);
  expect(new URL(asked.link).pathname).toBe(firstRequest);
  withoutPatient(asked.text, first);
  await signOut(page);

  // They decline: a reason is required.
  await signIn(page, practitionerEmail(first));
  await page.goto(firstRequest);
  await hydrated(page);
  await expect(page.locator('dd', { hasText: /^Durand$/ })).toBeVisible();
  await expect(page.getByText('Douleur abdominale depuis hier soir')).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Refuser la demande' }).click();
  await expect(page.locator('#decline_reason-error')).toHaveText(
    'Indiquez pourquoi vous ne pouvez pas recevoir ce patient.',
  );
  const declined = Date.now() - 1000;
  await page.getByLabel('Motif du refus').fill('Cabinet fermé cet après-midi');
  await page.getByRole('button', { name: 'Refuser la demande' }).click();
  await expect(page.locator('#statut')).toHaveText('Demande refusée');
  await expect(page.getByRole('button', { name: /Accepter/ })).toHaveCount(0);
  await expectAccessible(page);
  await signOut(page);

  // The regulator is told, reads the reason and asks another practitioner of the area:
  // the patient is not typed again.
  const refused = await receivedMail(REGULATOR, 'refusée', declined, REQUEST_LINK);
  withoutPatient(refused.text, first);
  await signIn(page, REGULATOR);
  await page.goto(firstRequest);
  await hydrated(page);
  await expect(page.locator('#statut')).toHaveText('Demande refusée');
  await expect(page.getByText('Motif du refus : Cabinet fermé cet après-midi')).toBeVisible();
  const others = page.getByRole('region', { name: 'Demander à un autre médecin' });
  await expectAccessible(page);
  const another = others.getByRole('link').first();
  const second = ((await another.innerText()).replace(/^Demander au /, '')).trim();
  expect(second).not.toBe(first);
  await another.click();
  await expect(page).toHaveURL(/\/surnumeraire\/nouveau\?praticien=\d+&depuis=\d+$/);
  await hydrated(page);
  await expect(page.getByText('Les informations du patient de votre demande précédente sont reprises')).toBeVisible();
  await expect(page.getByLabel('Prénom du patient')).toHaveValue('Marie');
  await expect(page.getByLabel('Date de naissance du patient')).toHaveValue('21/11/1952');
  await expectAccessible(page);
  await propose(page, 4);
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  await expect(page).toHaveURL(/\/surnumeraires\/\d+$/);
  const secondRequest = new URL(page.url()).pathname;
  expect(secondRequest).not.toBe(firstRequest);
  await signOut(page);

  // The second practitioner finds it in « Surnuméraires » and accepts it.
  await signIn(page, practitionerEmail(second));
  await page.goto('/surnumeraires');
  await hydrated(page);
  const row = page.locator('tr', { has: page.locator(`a[href="${secondRequest}"]`) });
  await expect(row).toContainText('En attente de réponse');
  await expect(row).toContainText('DURAND');
  await expectAccessible(page);
  await row.getByRole('link', { name: /Voir/ }).click();
  await hydrated(page);
  const accepted = Date.now() - 1000;
  await page.getByRole('button', { name: 'Accepter et prendre le rendez-vous' }).click();
  await expect(page.locator('#statut')).toHaveText('Demande acceptée : le rendez-vous est pris');
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Voir le rendez-vous' }).click();
  await expect(page).toHaveURL(/\/adressages\/\d+$/);
  const appointment = new URL(page.url()).pathname;
  await expect(page.getByText('Surnuméraire (hors agenda)')).toBeVisible();
  await page.goto('/agenda');
  await hydrated(page);
  await expect(page.locator('tr', { hasText: 'Surnuméraire (hors agenda)' })).toContainText('DURAND');
  await signOut(page);

  // The regulator is told, and finds the appointment among their bookings.
  const yes = await receivedMail(REGULATOR, 'acceptée', accepted, REQUEST_LINK);
  withoutPatient(yes.text, second);
  await signIn(page, REGULATOR);
  await page.goto('/adressages');
  await hydrated(page);
  const booked = page.locator('tr', { has: page.locator(`a[href="${appointment}"]`) });
  await expect(booked).toContainText('Surnuméraire (hors agenda)');
  await expect(booked).toContainText(second);
  await expect(booked).toContainText('Réservé');
  await page.goto('/surnumeraires');
  await hydrated(page);
  await expect(page.locator('tr', { has: page.locator(`a[href="${firstRequest}"]`) })).toContainText('Refusée');
  await expect(page.locator('tr', { has: page.locator(`a[href="${secondRequest}"]`) })).toContainText('Acceptée');
  await expectAccessible(page);
});

test('une demande en attente peut être retirée ; le médecin ne peut plus y répondre', async ({ page }) => {
  await signIn(page, REGULATOR);
  await page.goto(PARIS);
  await hydrated(page);
  const card = page.locator('.practitioner-card').nth(1);
  const name = (await card.locator('h3').innerText()).trim();
  await card.getByRole('link', { name: /Demander un surnuméraire/ }).click();
  await hydrated(page);
  await propose(page, 2);
  await fillPatient(page);
  await page.getByRole('radio', { name: 'En vidéo' }).check({ force: true });
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  await expect(page).toHaveURL(/\/surnumeraires\/\d+$/);
  const request = new URL(page.url()).pathname;
  await expect(page.locator('dd', { hasText: /^En vidéo$/ })).toBeVisible();
  await page.getByRole('button', { name: 'Retirer la demande' }).click();
  await expect(page.locator('#statut')).toHaveText('Demande retirée');
  await expect(page.getByRole('region', { name: 'Demander à un autre médecin' })).toBeVisible();
  await expectAccessible(page);
  await signOut(page);
  await signIn(page, practitionerEmail(name));
  await page.goto(request);
  await hydrated(page);
  await expect(page.locator('#statut')).toHaveText('Demande retirée');
  await expect(page.getByRole('button', { name: /Accepter/ })).toHaveCount(0);
});
