import type { Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import {
  ADMIN,
  expect,
  expectAccessible,
  hydrated,
  receivedMail,
  REGULATOR,
  signIn,
  signOut,
  test,
} from './helpers';

const root = path.resolve(__dirname, '..', '..');
const DIRECTORY = path.join(root, 'migrations', 'rpps', 'PS_LibreAcces_Personne_activite_exemple.txt');
const JEANNE = 'jeanne.rolland@exemple.fr';
const PASSWORD = 'trois hérons sur la Vilaine';

/** Completes 10 digits with their Luhn check digit. */
function rpps(firstTen: string): string {
  for (let d = 0; d < 10; d++) {
    const digits = `${firstTen}${d}`;
    const sum = [...digits].reverse().reduce((acc, c, i) => {
      const n = Number(c) * (i % 2 === 1 ? 2 : 1);
      return acc + (n > 9 ? n - 9 : n);
    }, 0);
    if (sum % 10 === 0) return digits;
  }
  throw new Error('no check digit');
}

/** The operator loads the national directory with the real command, into the running server's database. */
function importDirectory(): string {
  const dir = process.env.SAS_E2E_DIR;
  if (!dir) throw new Error('SAS_E2E_DIR is not set (see playwright.config.ts)');
  const binary = process.env.SAS_BIN ?? path.join(root, 'target', 'e2e', 'sas-rdv');
  return execFileSync(binary, ['import-rpps', DIRECTORY], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: `sqlite://${path.join(dir, 'e2e.db')}`, RUST_LOG: 'warn' },
    encoding: 'utf8',
  });
}

async function fillRegistration(page: Page, who: { first: string; last: string; rpps: string; email: string }) {
  await page.getByRole('radio', { name: 'Madame' }).check({ force: true });
  await page.getByRole('textbox', { name: 'Prénom', exact: true }).fill(who.first);
  await page.getByRole('textbox', { name: 'Nom', exact: true }).fill(who.last);
  await page.getByLabel('Numéro RPPS').fill(who.rpps);
  // Every specialty a practitioner registers with is one regulators search.
  await page.getByLabel('Spécialité').selectOption('Cardiologie');
  await page.getByLabel('Adresse du cabinet').fill('3 rue des Lilas');
  // The commune comes from the list the search uses; its postcode fills the field.
  const commune = page.getByRole('combobox', { name: /Commune du cabinet/ });
  await commune.fill('renn');
  await page.getByRole('option', { name: /^Rennes \(35\)/ }).click();
  await expect(commune).toHaveValue('Rennes');
  await expect(page.getByLabel('Code postal')).toHaveValue('35000');
  await page.getByLabel('Adresse électronique').fill(who.email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
}

test('un médecin s’inscrit, confirme son adresse, demande à participer au SAS ; l’administration valide', async ({ page }) => {
  expect(importDirectory()).toContain('Annuaire santé chargé : 4 professionnels');

  await page.goto('/');
  await page.getByRole('link', { name: 'Créer un compte de médecin effecteur' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Créer mon compte de médecin effecteur');
  await hydrated(page);
  await expectAccessible(page);

  const good = rpps('1234567890');
  const bad = `${good.slice(0, 10)}${(Number(good[10]) + 1) % 10}`;
  // A commune typed but not chosen in the list has no position: refused with the other errors.
  await fillRegistration(page, { first: 'Jeanne', last: 'Rolland', rpps: bad, email: REGULATOR });
  await page.getByRole('combobox', { name: /Commune du cabinet/ }).fill('Rennes');
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.locator('#rpps-error')).toHaveText('Ce numéro RPPS n\'est pas valide (clé de contrôle incorrecte).');
  await expect(page.locator('#commune-error')).toHaveText(
    'Choisissez la commune du cabinet dans la liste proposée (saisissez au moins 2 caractères).',
  );
  await expect(page.locator('#rpps')).toBeFocused();
  await expectAccessible(page);
  await page.getByRole('combobox', { name: /Commune du cabinet/ }).fill('Renn');
  await page.getByRole('option', { name: /^Rennes \(35\)/ }).click();
  // The postcode must be the commune's.
  await page.getByLabel('Code postal').fill('29200');
  await page.getByLabel('Numéro RPPS').fill(good);
  await page.getByLabel('Adresse électronique').fill(JEANNE);
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.locator('#postcode-error')).toHaveText('Ce code postal n\'est pas celui de Rennes : 35000, 35200, 35700.');
  await page.getByLabel('Code postal').fill('35000');
  await page.getByLabel('Adresse électronique').fill(REGULATOR);

  await page.getByLabel('Numéro RPPS').fill(good);
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.locator('#email-error')).toContainText("Cette adresse est celle d'un compte régulateur");
  await expectAccessible(page);

  // The national directory: a number it does not know, then names it does not give for this number.
  await page.getByLabel('Adresse électronique').fill(JEANNE);
  await page.getByLabel('Numéro RPPS').fill(rpps('1000777888'));
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.locator('#rpps-error')).toHaveText(
    'Ce numéro RPPS est absent de l\'annuaire santé : vérifiez-le sur votre carte CPS.',
  );
  await page.getByLabel('Numéro RPPS').fill(good);
  await page.getByRole('textbox', { name: 'Nom', exact: true }).fill('Roland');
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.locator('#rpps-error')).toContainText('Vos nom et prénom ne correspondent pas à ce numéro RPPS');
  // The directory writes « ROLLAND JEANNE »: case and accents do not matter.
  await page.getByRole('textbox', { name: 'Nom', exact: true }).fill('ROLLAND');
  const sentAfter = Date.now();
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  const created = page.getByRole('status').filter({ hasText: 'Votre compte est créé' });
  await expect(created).toContainText(`Un lien de confirmation vient d'être envoyé à ${JEANNE}.`);
  await expectAccessible(page);

  // No sign-in before the address is confirmed; the right password gets a new link.
  await signIn(page, JEANNE, PASSWORD);
  await expect(page.getByText("Votre adresse électronique n'est pas encore confirmée")).toBeVisible();
  await expect(page).toHaveURL(/\/connexion$/);

  const mail = await receivedMail(JEANNE, 'Confirmez votre adresse électronique', sentAfter);
  expect(mail.text).toContain('Bonjour Jeanne');
  await page.goto(mail.link);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirmer mon adresse électronique');
  await hydrated(page);
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Confirmer mon adresse électronique' }).click();
  await expect(page.getByText('Votre adresse électronique est confirmée.')).toBeVisible();
  await expectAccessible(page);

  // Signed in: the participation is a request.
  await signIn(page, JEANNE, PASSWORD);
  await expect(page.getByRole('banner')).toContainText('Jeanne ROLLAND');
  await page.getByRole('link', { name: 'Participation au SAS', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Participation au SAS');
  await hydrated(page);
  await expect(page.getByText("Vous ne participez pas au SAS : aucun de vos créneaux n'est visible des régulateurs.")).toBeVisible();
  await page.getByRole('button', { name: 'Je participe au SAS' }).click();
  await expect(page.getByText('Votre demande de participation est en attente de validation')).toBeVisible();
  await page.getByLabel('À lire avant de prendre un rendez-vous').fill('Sonnez à l’interphone « Cabinet ».');
  await page.getByRole('checkbox', { name: 'Numéro de sécurité sociale du patient' }).check({ force: true });
  await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
  await expect(page.getByText('Paramètres enregistrés.')).toBeVisible();
  await expectAccessible(page);

  // « Mon cabinet »: the commune from the same list, in her département; one the list has no
  // coordinates for places her at the département's centre, and the page says so.
  const myCommune = page.getByRole('combobox', { name: /Commune du cabinet/ });
  await expect(myCommune).toHaveValue('Rennes');
  await expect(page.getByLabel('Spécialité')).toHaveValue('Cardiologie');
  await myCommune.fill('Bres');
  await page.getByRole('option', { name: /^Brest \(29\)/ }).click();
  await page.getByRole('button', { name: 'Enregistrer mon cabinet' }).click();
  await expect(page.locator('#commune-error')).toHaveText(
    "Choisissez une commune de votre département : pour exercer dans un autre département, contactez l'administration du SAS.",
  );
  await myCommune.fill('Arbris');
  await page.getByRole('option', { name: /^Arbrissel \(35\)/ }).click();
  await expect(page.getByLabel('Code postal')).toHaveValue('35130');
  await page.getByLabel('Adresse du cabinet').fill('1 place de la Mairie');
  await page.getByRole('button', { name: 'Enregistrer mon cabinet' }).click();
  await expect(page.getByText('Cabinet enregistré.')).toBeVisible();
  await expect(page.getByText(/la recherche des régulateurs vous place au centre de votre département/)).toBeVisible();
  await expectAccessible(page);
  await signOut(page);

  // The administration reads the request with the directory's answer and approves it.
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Médecins effecteurs', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Participation des médecins au SAS');
  await hydrated(page);
  const request = page.locator('li.participation', { hasText: 'Dr Jeanne ROLLAND' });
  await expect(request).toContainText('Demande de participation en attente de validation');
  await expect(request).toContainText(`RPPS ${good} : RPPS vérifié : Médecin, Médecine générale`);
  await expect(request).toContainText(`${JEANNE} — adresse confirmée`);
  await expectAccessible(page);
  // A refusal says why.
  await request.getByRole('button', { name: 'Refuser la demande de Dr Jeanne ROLLAND' }).click();
  await expect(page.getByText('Indiquez le motif : il est envoyé au médecin.')).toBeVisible();
  const decidedAfter = Date.now();
  await request.getByRole('button', { name: 'Valider la participation de Dr Jeanne ROLLAND' }).click();
  await expect(page.getByText('Participation validée : les créneaux du médecin remontent dans la recherche.')).toBeVisible();
  await expect(request).toContainText('Participation au SAS validée');
  await expectAccessible(page);
  const approved = await receivedMail(JEANNE, 'Votre participation au SAS est validée', decidedAfter, /https?:\/\/\S+\/agenda\/parametres/);
  expect(approved.text).toContain('visibles des régulateurs');
  await signOut(page);

  // A regulator finds the cardiologist by a cardiology search (not by a general-practice one);
  // her card says her position is approximate.
  await signIn(page, REGULATOR);
  const jeanne = page.locator('.practitioner-card', { has: page.getByRole('heading', { name: 'Dr Jeanne ROLLAND' }) });
  await page.goto('/recherche?departement=35&tous=1');
  await hydrated(page);
  await expect(page.locator('.practitioner-card').first()).toBeVisible();
  await expect(jeanne).toHaveCount(0);
  await page.getByLabel('Spécialité').selectOption('Cardiologie');
  await expect(page).toHaveURL(/speciality=cardiologie/);
  await expect(jeanne).toContainText('Cardiologie');
  await expect(jeanne).toContainText('1 place de la Mairie, 35130 Arbrissel');
  await expect(jeanne).toContainText('Position approximative (centre du département) : distance indicative.');
  await expectAccessible(page);
  await signOut(page);

  await signIn(page, JEANNE, PASSWORD);
  await page.goto('/agenda/parametres');
  await expect(page.getByText(/^Votre participation au SAS est validée/)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Numéro de sécurité sociale du patient' })).toBeChecked();
  await signOut(page);

  // The same RPPS cannot register twice.
  await page.goto('/inscription');
  await hydrated(page);
  await fillRegistration(page, { first: 'Jeanne', last: 'Rolland', rpps: good, email: 'j.rolland@exemple.fr' });
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.locator('#rpps-error')).toHaveText('Ce numéro RPPS est déjà inscrit.');
});
