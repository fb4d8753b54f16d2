import type { Page } from '@playwright/test';
import { ADMIN, expect, expectAccessible, hydrated, receivedMail, signIn, signOut, sql, test } from './helpers';

const INVITATION = 'Créez votre compte régulateur';
const STRONG = 'cheval batterie agrafe correcte';

/** The SAS administrator creates a regulator; the invitation leaves by SMTP. */
async function invite(page: Page, who: { first: string; last: string; email: string; departement?: string }) {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/admin\/regulateurs$/);
  await hydrated(page);
  // DSFR draws the radio button on its label, which takes the click.
  await page.locator('label', { hasText: /^Mme$/ }).click();
  await expect(page.getByLabel('Mme', { exact: true })).toBeChecked();
  await page.getByLabel(/^Prénom/).fill(who.first);
  await page.getByLabel(/^Nom/).fill(who.last);
  await page.getByLabel('Adresse électronique').fill(who.email);
  await page.getByLabel('Département du SAS').fill(who.departement ?? '35');
  await page.getByRole('button', { name: 'Inviter le régulateur' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Invitation envoyée à ${who.email}.` })).toBeVisible();
  const row = page.getByRole('row', { name: new RegExp(who.email.replace('.', '\\.')) });
  await expect(row).toContainText('Invité');
  return row;
}

async function createAccount(page: Page, link: string, password = STRONG) {
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel(/^Mot de passe/).fill(password);
  await page.getByLabel('Confirmation du mot de passe').fill(password);
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
}

test("l'administrateur SAS invite un régulateur, qui crée son compte depuis le lien reçu et recherche des créneaux", async ({
  page,
}) => {
  const email = 'claire.morel@sas35.test';
  const row = await invite(page, { first: 'Claire', last: 'Morel', email });
  await expectAccessible(page);
  await signOut(page);

  const mail = await receivedMail(email, INVITATION);
  expect(mail.text).toContain('sélectionner la profession « Régulateur » (en bas de la liste)');
  expect(mail.text).toContain('expire dans 7 jours');
  await page.goto(mail.link);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Création de votre compte');
  const profession = page.getByLabel(/^Profession/);
  await expect(profession).toHaveValue('Régulateur');
  await expect(profession.locator('option').last()).toHaveText('Régulateur');
  await expect(page.getByLabel('Adresse électronique de connexion')).toHaveValue(email);
  await expectAccessible(page);

  // Another profession: the guide's warning.
  const warning = page.getByRole('status').filter({ hasText: 'sinon vous n\'aurez pas accès à toutes les fonctionnalités' });
  await expect(warning).toHaveCount(0);
  await profession.selectOption('Médecin');
  await expect(warning).toBeVisible();
  await expectAccessible(page);
  await profession.selectOption('Régulateur');
  await expect(warning).toHaveCount(0);

  // ANSSI: a common password is refused, length makes a strong one.
  const password = page.getByLabel(/^Mot de passe/);
  await password.fill('Motdepasse2024!');
  await password.blur();
  await expect(page.getByText('Ce mot de passe est trop courant')).toBeVisible();
  await expect(page.getByText('Robustesse du mot de passe : insuffisante')).toBeVisible();
  await password.fill(STRONG);
  await expect(page.getByText('Robustesse du mot de passe : forte')).toBeVisible();
  await page.getByLabel('Confirmation du mot de passe').fill(STRONG);
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.getByRole('heading', { name: 'Votre compte est créé' })).toBeVisible();
  await expectAccessible(page);

  await signIn(page, email, STRONG);
  await expect(page).toHaveURL(/\/recherche$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Rechercher un créneau' })).toBeVisible();
  await page.goto('/recherche?departement=35');
  await expect(page.locator('.practitioner-card').first()).toBeVisible();
  await signOut(page);

  // The link served once.
  const reused = await page.goto(mail.link);
  expect(reused?.status()).toBe(410);
  await expect(page.getByRole('alert')).toContainText('Ce lien a déjà été utilisé');
  await expectAccessible(page);

  await signIn(page, ADMIN);
  await expect(row).toContainText('Actif');
});

test("l'adresse d'un compte Pro de médecin est refusée : le régulateur en choisit une autre", async ({ page }) => {
  const pro = 'julie.robert@demo.test';
  await invite(page, { first: 'Julie', last: 'Robert', email: pro, departement: '75' });
  await signOut(page);
  const { link } = await receivedMail(pro, INVITATION);
  await createAccount(page, link);
  const email = page.getByLabel('Adresse électronique de connexion');
  await expect(email).toHaveAccessibleDescription(/compte Pro de professionnel de santé.*une autre adresse/);
  await expect(page.getByRole('heading', { name: 'Votre compte est créé' })).toHaveCount(0);
  await expectAccessible(page);

  await email.fill('julie.robert@samu75.test');
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.getByRole('heading', { name: 'Votre compte est créé' })).toBeVisible();
  await signIn(page, 'julie.robert@samu75.test', STRONG);
  await expect(page).toHaveURL(/\/recherche$/);
});

test('un lien expiré ou inconnu est refusé par une page claire ; une invitation renvoyée fonctionne', async ({ page }) => {
  const email = 'yves.tardif@sas69.test';
  const row = await invite(page, { first: 'Yves', last: 'Tardif', email, departement: '69' });
  const first = await receivedMail(email, INVITATION);
  // Seven days later…
  sql(
    'UPDATE account_tokens SET expires_at = 0 WHERE regulator_id = (SELECT id FROM regulators WHERE email = ?)',
    email,
  );
  await page.reload();
  await hydrated(page);
  await expect(row).toContainText('Invitation expirée');
  const sentAt = Date.now();
  await row.getByRole('button', { name: "Renvoyer l'invitation" }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Invitation renvoyée' })).toBeVisible();
  await expect(row).toContainText('Invité');
  const second = await receivedMail(email, INVITATION, sentAt - 1000);
  expect(second.link).not.toBe(first.link);
  await signOut(page);

  const replaced = await page.goto(first.link);
  expect(replaced?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText("Ce lien n'est pas valide");
  await expectAccessible(page);

  sql('UPDATE account_tokens SET expires_at = 0 WHERE regulator_id = (SELECT id FROM regulators WHERE email = ?)', email);
  const response = await page.goto(second.link);
  expect(response?.status()).toBe(410);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Création de votre compte');
  await expect(page.getByRole('alert')).toContainText('Ce lien a expiré');
  await expect(page.getByLabel(/^Mot de passe/)).toHaveCount(0);
  await expectAccessible(page);
});

test('un régulateur réinitialise son mot de passe par un lien à usage unique', async ({ page }) => {
  const email = 'marc.lenoir@sas75.test';
  await invite(page, { first: 'Marc', last: 'Lenoir', email, departement: '75' });
  await signOut(page);
  await createAccount(page, (await receivedMail(email, INVITATION)).link);
  await expect(page.getByRole('heading', { name: 'Votre compte est créé' })).toBeVisible();

  await page.goto('/connexion');
  await hydrated(page);
  await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
  await expect(page).toHaveURL(/\/mot-de-passe-oublie$/);
  await hydrated(page);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByRole('button', { name: 'Recevoir un lien' }).click();
  const answer = 'Si un compte existe avec cette adresse, un courriel contenant un lien de réinitialisation vient de lui être envoyé.';
  await expect(page.getByRole('status')).toContainText(answer);
  await expectAccessible(page);

  const { link } = await receivedMail(email, 'Réinitialisation de votre mot de passe');
  await page.goto(link);
  await hydrated(page);
  const fresh = 'nouvelle phrase de passe solide';
  await page.getByLabel(/^Mot de passe/).fill(fresh);
  await page.getByLabel('Confirmation du mot de passe').fill(fresh);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await expect(page.getByText('Votre mot de passe est changé.')).toBeVisible();

  await signIn(page, email, STRONG);
  await expect(page.getByRole('alert')).toContainText('Adresse électronique ou mot de passe incorrect.');
  await signIn(page, email, fresh);
  await expect(page).toHaveURL(/\/recherche$/);

  const again = await page.goto(link);
  expect(again?.status()).toBe(410);
  await expect(page.getByRole('alert')).toContainText('Ce lien a déjà été utilisé');
});
