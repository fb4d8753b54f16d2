//! The HTML shell, the router and the DSFR layout shared by every page.

use crate::domain::Role;
use crate::features::accounts::{
    self, Auth, ConfirmEmailPage, CreateAccountPage, ForgotPasswordPage, LoginPage,
    ResetPasswordPage,
};
use crate::features::admin::{AuditPage, OutboxPage, ParticipationsPage, RegulatorsPage};
use crate::features::agenda::{
    AppointmentsPage, RangesPage, ReasonsPage, RegisterPage, SettingsPage, WeekPage,
};
use crate::features::booking::{AppointmentPage, BookingPage, ReferralsPage};
use crate::features::extra::{ExtraListPage, ExtraPage, NewExtraPage};
use crate::features::help::HelpPage;
use crate::features::indicators::IndicatorsPage;
use crate::features::search::SearchPage;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::headers::provide_page_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="fr" data-fr-scheme="light">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href="/dsfr/dsfr.min.css" />
                <link rel="stylesheet" href="/dsfr/utility/icons/icons.min.css" />
                <link rel="stylesheet" id="leptos" href=stylesheet_href(&options) />
                <link rel="icon" href="/dsfr/favicon/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
                {demo_data().then(|| view! { <meta name="sas-demo" content="1" /> })}
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app's stylesheet: its name carries its content hash in a production build.
fn stylesheet_href(options: &LeptosOptions) -> String {
    let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
    #[cfg(feature = "ssr")]
    if let Some(hash) = crate::server::site::asset_hash(options, "css") {
        return format!("/{pkg}/{name}.{hash}.css");
    }
    format!("/{pkg}/{name}.css")
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let auth = Auth::new();
    provide_context(auth);
    // Effects run in the browser only: this marks the page as interactive once hydrated.
    Effect::new(|| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=|page: String| format!("{page} — Service d'Accès aux Soins") />
        <Router>
            <div class="fr-skiplinks">
                <nav class="fr-container" role="navigation" aria-label="Accès rapide">
                    <ul class="fr-skiplinks__list">
                        <li><a class="fr-link" href="#contenu">"Contenu"</a></li>
                    </ul>
                </nav>
            </div>
            <Header />
            <main id="contenu" class="fr-container fr-py-5w" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/connexion") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/recherche") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/rendez-vous/:slot") view=BookingPage ssr=SsrMode::Async />
                    <Route path=path!("/agenda") view=AppointmentsPage ssr=SsrMode::Async />
                    <Route path=path!("/adressages") view=ReferralsPage ssr=SsrMode::Async />
                    <Route path=path!("/adressages/:id") view=AppointmentPage ssr=SsrMode::Async />
                    <Route path=path!("/creer-mon-compte") view=CreateAccountPage ssr=SsrMode::Async />
                    <Route path=path!("/mot-de-passe-oublie") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/mot-de-passe/nouveau") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/confirmer-mon-adresse") view=ConfirmEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/regulateurs") view=RegulatorsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/medecins") view=ParticipationsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/courriels") view=OutboxPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/journal") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/indicateurs") view=IndicatorsPage ssr=SsrMode::Async />
                    <Route path=path!("/surnumeraire/nouveau") view=NewExtraPage ssr=SsrMode::Async />
                    <Route path=path!("/surnumeraires") view=ExtraListPage ssr=SsrMode::Async />
                    <Route path=path!("/surnumeraires/:id") view=ExtraPage ssr=SsrMode::Async />
                    <Route path=path!("/agenda/semaine") view=WeekPage ssr=SsrMode::Async />
                    <Route path=path!("/agenda/plages") view=RangesPage ssr=SsrMode::Async />
                    <Route path=path!("/agenda/motifs") view=ReasonsPage ssr=SsrMode::Async />
                    <Route path=path!("/agenda/parametres") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/inscription") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/aide") view=HelpPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <header role="banner" class="fr-header">
            <div class="fr-header__body">
                <div class="fr-container">
                    <div class="fr-header__body-row">
                        <div class="fr-header__brand fr-enlarge-link">
                            <div class="fr-header__brand-top">
                                <div class="fr-header__logo">
                                    <p class="fr-logo">"République" <br /> "Française"</p>
                                </div>
                            </div>
                            <div class="fr-header__service">
                                <A href="/" attr:title="Accueil — Service d'Accès aux Soins">
                                    <p class="fr-header__service-title">"Service d'Accès aux Soins"</p>
                                </A>
                                <p class="fr-header__service-tagline">
                                    "Prise de rendez-vous pour les régulateurs / OSNP"
                                </p>
                            </div>
                        </div>
                        <div class="fr-header__tools">
                            <div class="fr-header__tools-links">
                                <ul class="fr-btns-group">
                                    <li><A href="/aide" attr:class="fr-btn fr-icon-question-line">"Aide"</A></li>
                                </ul>
                                <Transition fallback=|| ()>
                                    {move || auth.user.get().map(|user| match user {
                                        Ok(Some(user)) => view! { <accounts::UserTools user /> }.into_any(),
                                        _ => view! {
                                            <ul class="fr-btns-group">
                                                <li><A href="/connexion" attr:class="fr-btn fr-icon-account-line">"Se connecter"</A></li>
                                            </ul>
                                        }.into_any(),
                                    })}
                                </Transition>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
            <MainNav />
        </header>
    }
}

#[component]
fn MainNav() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let links = move || {
        let role = auth
            .user
            .get()
            .and_then(|u| u.ok().flatten())
            .map(|u| u.role);
        let mut links = vec![("/", "Accueil")];
        match role {
            Some(Role::Regulator) => {
                links.push(("/recherche", "Rechercher un créneau"));
                links.push(("/adressages", "Mes adressages"));
                links.push(("/surnumeraires", "Surnuméraires"));
                links.push(("/indicateurs", "Indicateurs"));
            }
            Some(Role::Practitioner) => links.extend([
                ("/agenda", "Mes rendez-vous"),
                ("/surnumeraires", "Surnuméraires"),
                ("/agenda/semaine", "Mon agenda"),
                ("/agenda/plages", "Plages et absences"),
                ("/agenda/motifs", "Motifs"),
                ("/agenda/parametres", "Participation au SAS"),
            ]),
            Some(Role::Admin) => links.extend([
                ("/admin/regulateurs", "Régulateurs"),
                ("/admin/medecins", "Médecins effecteurs"),
                ("/admin/courriels", "Courriels envoyés"),
                ("/admin/journal", "Journal d'audit"),
                ("/indicateurs", "Indicateurs"),
            ]),
            Some(Role::Other) | None => {}
        }
        links
    };
    view! {
        <div class="fr-header__menu">
            <div class="fr-container">
                <nav class="fr-nav" role="navigation" aria-label="Menu principal">
                    <ul class="fr-nav__list">
                        <Transition fallback=|| ()>
                            {move || links().into_iter().map(|(href, label)| view! {
                                <li class="fr-nav__item"><A href=href attr:class="fr-nav__link">{label}</A></li>
                            }).collect_view()}
                        </Transition>
                    </ul>
                </nav>
            </div>
        </div>
    }
}

/// Whether the server shows demonstration data (`serve --demo`). The server knows it; the
/// browser reads it from the page's head, so that hydration finds the same footer.
fn demo_data() -> bool {
    #[cfg(feature = "ssr")]
    return use_context::<crate::server::AppState>().is_some_and(|s| s.demo);
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    return web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name='sas-demo']").ok().flatten())
        .is_some();
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    false
}

#[component]
fn Footer() -> impl IntoView {
    view! {
        <footer class="fr-footer" role="contentinfo">
            <div class="fr-container">
                <div class="fr-footer__body">
                    <div class="fr-footer__brand">
                        <p class="fr-logo">"République" <br /> "Française"</p>
                    </div>
                    <div class="fr-footer__content">
                        <p class="fr-footer__content-desc">
                            "Plateforme de prise de rendez-vous du Service d'Accès aux Soins (SAS) : "
                            "les régulateurs et OSNP réservent pour leurs patients les créneaux que les "
                            "médecins effecteurs ouvrent au SAS."
                        </p>
                        <ul class="fr-footer__content-list">
                            <li class="fr-footer__content-item">
                                <A href="/aide" attr:class="fr-footer__content-link">"Aide"</A>
                            </li>
                        </ul>
                    </div>
                </div>
                <div class="fr-footer__bottom">
                    {demo_data().then(|| view! {
                        <p class="fr-footer__bottom-copy fr-badge fr-badge--warning">"Données de démonstration"</p>
                    })}
                    <p class="fr-footer__bottom-copy">"Accessibilité : partiellement conforme (RGAA 4.1)"</p>
                </div>
            </div>
        </footer>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    view! {
        <Title text="Accueil" />
        <h1>"Service d'Accès aux Soins"</h1>
        <p class="fr-text--lead">
            "Quand un patient appelle le 15 et doit voir un médecin dans les 48 heures sans passer par "
            "les urgences, le régulateur ou l'OSNP recherche un créneau disponible d'un médecin "
            "effecteur proche et prend le rendez-vous pour le patient."
        </p>
        <ul>
            <li>"Régulateurs / OSNP : recherchez un créneau puis saisissez les informations du patient."</li>
            <li>"Médecins effecteurs : ouvrez vos créneaux au SAS et retrouvez les rendez-vous pris pour vos patients."</li>
        </ul>
        <ul class="fr-btns-group fr-btns-group--inline-md">
            <li><A href="/connexion" attr:class="fr-btn">"Se connecter"</A></li>
            <li><A href="/inscription" attr:class="fr-btn fr-btn--secondary">"Créer un compte de médecin effecteur"</A></li>
        </ul>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page introuvable" />
        <h1>"Page introuvable"</h1>
        <p>"La page que vous cherchez n'existe pas ou a été déplacée."</p>
        <A href="/" attr:class="fr-btn">"Retour à l'accueil"</A>
    }
}
