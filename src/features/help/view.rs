//! The help page: plain sections under one table of contents, readable without JavaScript (the
//! server renders the support contacts before answering).

use super::{SupportContacts, support_info, tel_href};
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The sections, in the order of the page: (anchor, title).
pub const SECTIONS: [(&str, &str); 4] = [
    ("mode-emploi", "Mode d'emploi des régulateurs / OSNP"),
    ("support", "Contacter le support"),
    (
        "medecins",
        "Médecins effecteurs : comment participer au SAS ?",
    ),
    ("video", "Dans quels cas prendre rendez-vous en vidéo ?"),
];

#[component]
pub fn HelpPage() -> impl IntoView {
    let contacts = Resource::new(|| (), |_| support_info());
    view! {
        <Title text="Aide" />
        <h1>"Aide"</h1>
        <p class="fr-text--lead">
            "Le mode d'emploi de la plateforme pour les régulateurs et OSNP, les contacts du support "
            "et les réponses aux questions des médecins effecteurs."
        </p>
        <nav class="fr-summary fr-mb-6w" role="navigation" aria-labelledby="sommaire-titre">
            <p class="fr-summary__title" id="sommaire-titre">"Sommaire"</p>
            <ol class="fr-summary__list">
                {SECTIONS.iter().map(|(id, title)| view! {
                    <li><a class="fr-summary__link" href=format!("#{id}")>{*title}</a></li>
                }).collect_view()}
            </ol>
        </nav>
        <RegulatorGuide />
        <section id="support" class="fr-mb-6w" aria-labelledby="support-titre">
            <h2 id="support-titre">"Contacter le support"</h2>
            <Loaded resource=contacts let:contacts>
                <Support contacts />
            </Loaded>
        </section>
        <PractitionerFaq />
        <VideoGuidance />
    }
}

/// « 3 étapes pour utiliser la plateforme en tant que régulateur / OSNP », in this product's
/// pages and buttons.
#[component]
fn RegulatorGuide() -> impl IntoView {
    view! {
        <section id="mode-emploi" class="fr-mb-6w" aria-labelledby="mode-emploi-titre">
            <h2 id="mode-emploi-titre">"Mode d'emploi des régulateurs / OSNP"</h2>
            <p>"3 étapes pour utiliser la plateforme en tant que régulateur / OSNP."</p>

            <h3>"1. Création de compte"</h3>
            <ul>
                <li>"L'administration du SAS de votre département crée votre compte de régulateur. Vous recevez alors un courriel contenant un lien sécurisé de création de compte."</li>
                <li>"Vous êtes invité à créer votre compte en suivant ce lien sécurisé, sur la page « Création de votre compte ». Voici les éléments importants pour cette étape :"
                    <ul>
                        <li>"Lorsque vous créez votre compte, vous devez sélectionner la profession « Régulateur » (en bas de la liste), sinon vous n'aurez pas accès à toutes les fonctionnalités."</li>
                        <li>"Si vous êtes utilisateur de la plateforme en tant que professionnel de santé, vous devez créer votre compte régulateur avec une autre adresse électronique que celle que vous utilisez pour votre compte Pro. Cette dernière peut être identique à celle utilisée pour votre compte Patient."</li>
                    </ul>
                </li>
            </ul>
            <h4 class="fr-h6">"Connexion"</h4>
            <p>
                "Vous pouvez vous connecter avec votre adresse électronique et votre mot de passe définis à la création de compte : bouton « Se connecter » en haut de chaque page. "
                "En cas d'oubli, la page de connexion propose de recevoir un lien pour choisir un nouveau mot de passe."
            </p>

            <h3>"2. Recherche de créneaux"</h3>
            <p>
                "Une fois connecté, ouvrez « Rechercher un créneau » dans le menu "
                "(" <A href="/recherche" attr:class="fr-link">"page de recherche"</A> ") : "
                "saisissez le lieu et la spécialité, ajustez si besoin le rayon (vide : rayon par défaut du département), puis cliquez sur « Rechercher »."
            </p>
            <p>"Les créneaux qui remontent sur la plateforme sont :"</p>
            <ol>
                <li>"les créneaux ouverts aux nouveaux patients et réservables par les patients en ligne ;"</li>
                <li>"les créneaux où le motif de consultation « Soins non programmés » a été paramétré."</li>
            </ol>
            <p>
                "Chaque médecin effecteur est présenté sur une carte : ses badges « Soins non programmés » ou « Nouveaux patients », son adresse, "
                "son numéro de téléphone (ou « N° de téléphone non renseigné ») et ses créneaux disponibles, jour par jour. "
                "Les filtres permettent de choisir le type de consultation (au cabinet, en vidéo) et le délai (« Disponible sous »)."
            </p>
            <p>"Sélection d'un créneau disponible : cliquez sur l'heure du créneau sur la carte du médecin."</p>

            <h3>"3. Prise de rendez-vous"</h3>
            <p>
                "Le funnel d'adressage : vous prenez un rendez-vous pour un patient en saisissant les informations du patient. "
                "Cliquez d'abord sur « Réserver ce créneau » : il n'est plus proposé aux autres régulateurs pendant la saisie, et le temps restant est affiché."
            </p>
            <h4 class="fr-h6">"A. Sélection du type de consultation et du motif"</h4>
            <ul>
                <li>"« Type de consultation » : au cabinet ou en vidéo (seul le type de consultation du créneau peut être choisi). Voir "
                    <a class="fr-link" href="#video">"Dans quels cas prendre rendez-vous en vidéo ?"</a> "."</li>
                <li>"« Avez-vous déjà consulté ce praticien ? » : si vous prenez rendez-vous pour quelqu'un d'autre, cette question le concerne."</li>
                <li>"« Motif de consultation » : si le motif « Soins non programmés » est disponible, merci de le sélectionner. S'il n'est pas disponible, sélectionnez le motif le plus pertinent."</li>
                <li>"Lisez l'encadré « À lire avant de prendre un rendez-vous » quand le médecin en a rédigé un."</li>
                <li>"Praticien référent : SAS."</li>
            </ul>
            <h4 class="fr-h6">"B. Les informations du patient"</h4>
            <ul>
                <li>"Par défaut les informations obligatoires sont : nom, prénom, nom de naissance, date de naissance, téléphone. Certains médecins effecteurs demandent plus d'informations."</li>
                <li>"Un numéro de téléphone valide est nécessaire afin que l'établissement puisse contacter le patient en cas de changement lié au rendez-vous."</li>
                <li>"« Répondre aux questions des médecins effecteurs » : certains médecins posent des questions, auxquelles vous répondez dans le formulaire."</li>
                <li>"« Message à destination du praticien » — Attention : ce message ne sera pas lu en temps réel et ne doit pas présenter de caractère d'urgence. Il peut aussi ne pas être lu par le praticien auquel vous adressez votre patient. Les informations renseignées ne doivent pas être excessives, inappropriées, subjectives, insultantes, discriminatoires ou contraires à la loi."</li>
                <li>"Pièce jointe : la pièce jointe doit être de l'un des formats suivants : .pdf, .jpg, .jpeg, .png et moins de 50 Mo."</li>
            </ul>
            <p>"Cliquez enfin sur « Confirmer le rendez-vous »."</p>
            <h4 class="fr-h6">"Après le rendez-vous"</h4>
            <p>
                "« Mes adressages » (" <A href="/adressages" attr:class="fr-link">"liste de vos rendez-vous"</A> ") "
                "liste les rendez-vous que vous avez pris pour vos patients, du plus récent au plus ancien ; "
                "chacun s'ouvre avec « Voir le rendez-vous », d'où vous pouvez aussi l'annuler en indiquant le motif de l'annulation."
            </p>
        </section>
    }
}

/// The configured contacts, or a plain statement that there are none.
#[component]
fn Support(contacts: SupportContacts) -> impl IntoView {
    if contacts.is_empty() {
        return view! {
            <p class="support-none">
                "Aucun contact de support n'est configuré sur cette plateforme. "
                "Pour toute question, adressez-vous à l'administration du SAS de votre département."
            </p>
        }
        .into_any();
    }
    view! {
        <p>"Pour toute question sur l'utilisation de la plateforme, régulateurs, OSNP et médecins effecteurs peuvent contacter le support :"</p>
        <ul>
            {contacts.email.map(|email| view! {
                <li>"Par courriel : " <a class="fr-link" href=format!("mailto:{email}")>{email.clone()}</a></li>
            })}
            {contacts.phone.map(|phone| view! {
                <li>"Par téléphone : " <a class="fr-link" href=tel_href(&phone)>{phone.clone()}</a></li>
            })}
        </ul>
    }
    .into_any()
}

/// « Répondre aux questions des médecins effecteurs » : the guide's two cases and advice.
#[component]
fn PractitionerFaq() -> impl IntoView {
    view! {
        <section id="medecins" class="fr-mb-6w" aria-labelledby="medecins-titre">
            <h2 id="medecins-titre">"Médecins effecteurs : comment participer au SAS ?"</h2>
            <p>
                "Dans tous les cas, le médecin s'inscrit sur la plateforme : "
                <A href="/inscription" attr:class="fr-link">"Créer un compte de médecin effecteur"</A>
                ", puis, dans « Participation au SAS », il clique sur « Je participe au SAS ». "
                "Sa demande est envoyée à l'administration du SAS de son département, qui vérifie son numéro RPPS et lui répond par courriel."
            </p>
            <p>"Ensuite, 2 cas de figure :"</p>
            <h3>"Soit le médecin accepte des nouveaux patients"</h3>
            <ul>
                <li>"Il s'inscrit sur la plateforme et demande à participer au SAS."</li>
                <li>
                    "Il n'a rien d'autre à faire : les créneaux réservables en ligne sur lesquels il accepte des nouveaux patients remontent directement sur la plateforme "
                    "(« J'accepte de nouveaux patients » dans « Participation au SAS », motifs « Ouvert aux nouveaux patients » et « Réservable en ligne » dans « Motifs »)."
                </li>
            </ul>
            <p>
                "Il est possible qu'un professionnel de santé accepte des nouveaux patients mais veuille quand même « prioriser » certains créneaux au SAS. "
                "Dans ce cas, il peut ajouter le motif « Soins non programmés » dans son agenda (« Motifs ») et le paramétrer sur les plages de son choix (« Plages et absences »)."
            </p>
            <h3>"Soit le médecin n'accepte pas de nouveaux patients"</h3>
            <ul>
                <li>"Il s'inscrit sur la plateforme et demande à participer au SAS."</li>
                <li>"Il ajoute le motif « Soins non programmés » dans son agenda (« Motifs ») et le paramètre sur les plages de son choix (« Plages et absences »)."</li>
            </ul>
            <div class="fr-callout fr-mt-3w">
                <p class="fr-callout__text">
                    "Il n'a " <strong>"pas besoin de dédier des créneaux au SAS"</strong>
                    " : sur les créneaux où il y a le motif « Soins non programmés », il peut y avoir d'autres motifs de consultation paramétrés, cela ne pose pas de problème."
                </p>
            </div>
            <h3>"Pour aller plus loin"</h3>
            <p>
                "Pour une question sur sa participation, le médecin effecteur s'adresse à l'administration du SAS de son département ; voir aussi "
                <a class="fr-link" href="#support">"Contacter le support"</a> "."
            </p>
        </section>
    }
}

/// The guidance the funnel links to (« Dans quels cas prendre rendez-vous en vidéo ? »).
#[component]
fn VideoGuidance() -> impl IntoView {
    view! {
        <section id="video" class="fr-mb-6w" aria-labelledby="video-titre">
            <h2 id="video-titre">"Dans quels cas prendre rendez-vous en vidéo ?"</h2>
            <p>
                "Le choix entre une consultation au cabinet et une consultation en vidéo relève de la régulation : "
                "prenez rendez-vous en vidéo quand l'état du patient ne nécessite pas d'examen physique et que la régulation l'a jugé adapté."
            </p>
            <ul>
                <li>"Le patient doit pouvoir être joint et disposer d'un téléphone ou d'un ordinateur permettant la vidéo : vérifiez son numéro de téléphone et, si possible, son adresse électronique."</li>
                <li>"Une consultation en vidéo n'est pas adaptée à une situation urgente."</li>
                <li>"Dans la recherche, le type de consultation « En vidéo » n'a pas de limite de distance dans le département : un médecin au-delà du rayon peut proposer des créneaux en vidéo seulement."</li>
                <li>"Dans la prise de rendez-vous, seul le type de consultation du créneau choisi peut être sélectionné : pour une consultation en vidéo, choisissez un créneau « En vidéo »."</li>
            </ul>
        </section>
    }
}
