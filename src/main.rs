//! `sas-rdv`: serve the application, migrate the database, load demo or national data, or
//! benchmark the search.

use clap::{Parser, Subcommand};
use sas_rdv::domain::account::RegulatorInput;
use sas_rdv::domain::identity::{Departement, Email, PersonName};
use sas_rdv::features::help::SupportContacts;
use sas_rdv::server::jobs::Jobs;
use sas_rdv::server::{
    AppState, BookingSettings, attachments, clock, communes, http, mail::Mailer, services, slots,
    store,
};
use sas_rdv::tools;
use std::process::ExitCode;

const DEFAULT_DATABASE_URL: &str = "sqlite://data/sas-rdv.db";

#[derive(Parser)]
#[command(
    name = "sas-rdv",
    version,
    about = "Service d'Accès aux Soins — prise de rendez-vous"
)]
struct Cli {
    /// sqlite://chemin/fichier.db (par défaut) ou postgres://utilisateur@hôte/base
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    /// Serveur de courriel, par exemple smtp://hôte:587?tls=required ; sans lui, les courriels
    /// restent dans la boîte d'envoi de la base, lisible par les administrateurs.
    #[arg(long, env = "SMTP_URL", global = true)]
    smtp_url: Option<String>,
    /// Adresse publique du site, pour les liens envoyés par courriel
    /// (par défaut : http:// suivi de l'adresse d'écoute).
    #[arg(long, env = "PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Jours de créneaux gardés à l'avance dans la base (1 à 366)
    #[arg(long, env = "SAS_SLOT_HORIZON_DAYS", default_value_t = slots::DEFAULT_HORIZON_DAYS,
        value_parser = clap::value_parser!(i64).range(1..=366), global = true)]
    slot_horizon_days: i64,
    /// Durée, en secondes, pendant laquelle l'ouverture d'un créneau le réserve au régulateur
    #[arg(long, env = "SAS_HOLD_SECONDS", default_value_t = slots::DEFAULT_HOLD_SECONDS,
        value_parser = clap::value_parser!(i64).range(5..=3600), global = true)]
    hold_seconds: i64,
    /// Minutes laissées à un médecin pour répondre à une demande de surnuméraire
    #[arg(long, env = "SAS_EXTRA_ANSWER_MINUTES",
        default_value_t = sas_rdv::domain::extra::DEFAULT_ANSWER_MINUTES,
        value_parser = clap::value_parser!(i64).range(5..=1440), global = true)]
    extra_answer_minutes: i64,
    /// Jours de conservation des données des patients après le rendez-vous (3 ans par défaut).
    #[arg(long, env = "SAS_RETENTION_DAYS", default_value_t = sas_rdv::server::retention::DEFAULT_RETENTION_DAYS,
        value_parser = clap::value_parser!(i64).range(30..=36_500))]
    retention_days: i64,
    /// Jeton que /metrics (format Prometheus) demande en « Authorization: Bearer » ; sans lui,
    /// pas de /metrics.
    #[arg(long, env = "SAS_METRICS_TOKEN", hide_env_values = true, global = true)]
    metrics_token: Option<String>,
    /// Adresse électronique du support, affichée sur la page /aide ; sans elle, aucune.
    #[arg(long, env = "SAS_SUPPORT_EMAIL", global = true)]
    support_email: Option<String>,
    /// Numéro de téléphone du support, affiché sur la page /aide ; sans lui, aucun.
    #[arg(long, env = "SAS_SUPPORT_PHONE", global = true)]
    support_phone: Option<String>,
    /// Adresses des mandataires inverses (reverse proxies) dont l'en-tête X-Forwarded-For
    /// désigne le client, séparées par des virgules (par exemple 127.0.0.1) ; sans elles, le
    /// client est l'adresse de la connexion.
    #[arg(
        long,
        env = "SAS_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Format des journaux : text (par défaut) ou json (une ligne JSON par événement, avec
    /// l'identifiant de la requête).
    #[arg(long, env = "LOG_FORMAT", default_value = "text", global = true)]
    log_format: LogFormat,
    /// Minutes sans activité après lesquelles une session se ferme (5 à 720)
    #[arg(long, env = "SAS_SESSION_IDLE_MINUTES", default_value_t = sas_rdv::server::auth::DEFAULT_IDLE_MINUTES,
        value_parser = clap::value_parser!(i64).range(5..=720), global = true)]
    session_idle_minutes: i64,
    /// Dossier des données écrites par l'application (pièces jointes)
    #[arg(long, env = "SAS_DATA_DIR", default_value = "data", global = true)]
    data_dir: std::path::PathBuf,
    /// Dossier de communes.tsv et departements.tsv (construits par .ci/setup)
    #[arg(long, env = "SAS_COMMUNES_DIR", default_value = communes::DEFAULT_DIR, global = true)]
    communes_dir: std::path::PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Sert l'application (commande par défaut). Ne crée aucun compte : le premier
    /// administrateur vient de `create-admin`.
    Serve {
        /// Charge (ou complète) les données de démonstration et le signale en pied de page.
        #[arg(long)]
        demo: bool,
    },
    /// Crée un compte administrateur SAS et affiche un lien à usage unique (valable 24 h) pour
    /// en choisir le mot de passe.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrateur")]
        first_name: String,
        #[arg(long, default_value = "SAS")]
        last_name: String,
        /// Département dont l'administrateur valide les médecins (75, 2A, 974…) ; sans lui,
        /// tous les départements.
        #[arg(long)]
        departement: Option<String>,
    },
    /// Charge l'annuaire santé (extraction publique « PS_LibreAcces_Personne_activite »,
    /// champs séparés par des « | ») ; remplace l'annuaire précédent une fois le fichier lu.
    ImportRpps {
        /// Le fichier de l'extraction.
        file: std::path::PathBuf,
    },
    /// Met le schéma de la base à jour.
    Migrate,
    /// Charge des données.
    Seed {
        #[command(subcommand)]
        set: SeedSet,
    },
    /// Crée un régulateur, lui envoie son invitation et affiche le lien de création de compte.
    InviteRegulator {
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        /// Département du SAS, par exemple 75, 2A ou 974.
        #[arg(long)]
        departement: String,
        /// Mme ou M.
        #[arg(long, default_value = "")]
        civilite: String,
    },
    /// Copie cohérente d'une base SQLite pendant que le serveur tourne (PostgreSQL : pg_dump).
    Backup {
        /// Le fichier de la copie (il ne doit pas exister).
        file: std::path::PathBuf,
    },
    /// Journal d'audit.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Charge de réservation contre un serveur en marche (boucle locale uniquement), puis
    /// vérification de la base.
    Load {
        #[command(subcommand)]
        target: LoadTarget,
    },
    /// Mesure les performances.
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum SeedSet {
    /// Données de démonstration (idempotent).
    Demo,
    /// Jeu de données national pour le banc d'essai (sur une base neuve).
    National {
        /// Nombre de praticiens, répartis selon la population des communes.
        #[arg(long, default_value_t = 20_000)]
        practitioners: usize,
        /// Jours de créneaux à partir d'aujourd'hui.
        #[arg(long, default_value_t = 14)]
        days: i64,
    },
    /// Historique de rendez-vous passés sur les médecins du jeu national, pour le banc d'essai
    /// des indicateurs.
    Bookings {
        /// Rendez-vous par jour en moyenne (± 30 %).
        #[arg(long, default_value_t = 5_000)]
        per_day: usize,
        /// Jours d'historique avant aujourd'hui.
        #[arg(long, default_value_t = 365)]
        days: i64,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Vérifie la chaîne d'empreintes du journal et nomme la première entrée altérée.
    Verify,
}

#[derive(Subcommand)]
enum LoadTarget {
    /// Des régulateurs (comptes charge.N@charge.invalid, sans mot de passe, sessions écrites
    /// dans la base) ouvrent puis réservent les mêmes créneaux libres en même temps.
    Booking {
        /// Adresse du serveur, par exemple 127.0.0.1:3000.
        #[arg(long, default_value = "127.0.0.1:3000")]
        server: std::net::SocketAddr,
        /// Tentatives (ouverture du créneau puis réservation) en tout.
        #[arg(long, default_value_t = 10_000)]
        attempts: usize,
        /// Tentatives simultanées sur un même créneau, chacune par un autre régulateur.
        #[arg(long, default_value_t = 100)]
        per_slot: usize,
        /// Créneaux visés en même temps.
        #[arg(long, default_value_t = 2)]
        parallel_slots: usize,
        /// Fichier où ajouter le numéro de chaque rendez-vous acquitté, dès son acquittement.
        #[arg(long)]
        journal: Option<std::path::PathBuf>,
    },
    /// Vérifie la base : chaque rendez-vous acquitté (numéros du fichier) est présent, aucun
    /// créneau réservé deux fois, aucune réservation temporaire échue, intégrité SQLite.
    Check {
        /// Le fichier des numéros acquittés (--journal de load booking).
        journal: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum BenchTarget {
    /// Les indicateurs d'un mélange de périodes (7, 30, 365 jours), au niveau national et par
    /// département, calculés comme pour la page.
    Indicators {
        /// Nombre de requêtes mesurées.
        #[arg(long, default_value_t = 500)]
        requests: usize,
        /// Requêtes menées en parallèle.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Un mélange de recherches (communes tirées au hasard, rayon 5 à 50 km, tous les filtres).
    Search {
        /// Nombre de recherches mesurées.
        #[arg(long, default_value_t = 5_000)]
        searches: usize,
        /// Recherches menées en parallèle.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Latence de connexion d'un régulateur pendant que des clients inscrivent des médecins en
    /// boucle, contre un serveur démarré avec la démonstration (boucle locale uniquement).
    SignIn {
        /// Adresse du serveur, par exemple 127.0.0.1:3000.
        #[arg(long, default_value = "127.0.0.1:3000")]
        server: std::net::SocketAddr,
        /// Clients qui inscrivent en boucle, chacun depuis sa propre adresse 127.0.0.x.
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Connexions mesurées, seules puis sous la charge.
        #[arg(long, default_value_t = 100)]
        sign_ins: usize,
    },
}

fn main() -> ExitCode {
    match http::runtime() {
        Ok(runtime) => runtime.block_on(start()),
        Err(err) => {
            eprintln!("démarrage impossible : {err}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    // Tests and demos only: SAS_TEST_CLOCK=1 with SAS_NOW starts the clock at a chosen instant.
    if let Err(message) = clock::init_from_env() {
        eprintln!("sas-rdv : {message}");
        return ExitCode::FAILURE;
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sas-rdv : {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    sas_rdv::server::auth::set_idle_minutes(cli.session_idle_minutes);
    let store = store::connect(&cli.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let demo = matches!(cli.command, Some(Command::Serve { demo: true }));
    let state = |store| -> Result<AppState, String> {
        let leptos_options = leptos_options()?;
        sas_rdv::server::site::check(&leptos_options)?;
        let public_url = cli
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", leptos_options.site_addr));
        Ok(AppState {
            leptos_options,
            store,
            mailer: Mailer::from_url(cli.smtp_url.as_deref())?,
            public_url,
            horizon_days: cli.slot_horizon_days,
            booking: BookingSettings {
                hold_seconds: cli.hold_seconds,
                attachments_dir: cli.data_dir.join("pieces-jointes"),
                extra_answer_seconds: cli.extra_answer_minutes * 60,
            },
            demo,
            metrics_token: cli.metrics_token.clone().filter(|t| !t.is_empty()),
            trusted_proxies: cli.trusted_proxies.clone(),
            support: SupportContacts::new(
                cli.support_email.as_deref(),
                cli.support_phone.as_deref(),
            ),
        })
    };
    // The communes of the place field, loaded when missing or changed.
    match communes::ensure_loaded(store.as_ref(), &cli.communes_dir).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("{n} communes chargées"),
        Err(message) => tracing::warn!("{message}"),
    }
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Migrate => {
            println!("Base {} à jour.", store.backend());
            Ok(())
        }
        Command::Seed { set: SeedSet::Demo } => tools::seed_demo(store.as_ref()).await,
        Command::Backup { file } => {
            store.backup_to(&file).await?;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!(
                "Copie cohérente de la base écrite dans {} ({size} octets).",
                file.display()
            );
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let started = std::time::Instant::now();
            let verdict = store.verify_audit().await.map_err(|e| e.to_string())?;
            let took = started.elapsed().as_millis();
            match verdict.first_broken {
                None => {
                    println!(
                        "Journal d'audit intègre : {} entrées chaînées vérifiées en {took} ms \
                         ({} entrées antérieures à la chaîne). Dernière empreinte : {}",
                        verdict.chained,
                        verdict.before_chain,
                        verdict.last_hash.as_deref().unwrap_or("aucune")
                    );
                    Ok(())
                }
                Some((id, why)) => Err(format!(
                    "Journal d'audit altéré : première entrée en défaut n° {id} ({why}), \
                     après {} entrées intègres.",
                    verdict.chained
                )),
            }
        }
        Command::ImportRpps { file } => {
            let report = sas_rdv::server::rpps::import_file(store.as_ref(), &file).await?;
            println!("{report}");
            Ok(())
        }
        Command::InviteRegulator {
            email,
            first_name,
            last_name,
            departement,
            civilite,
        } => {
            let input = RegulatorInput {
                civility: civilite,
                first_name,
                last_name,
                email,
                departement,
            };
            let regulator = input.validate(false).map_err(|errors| {
                errors
                    .iter()
                    .map(|e| match e.field.as_str() {
                        "civility" => format!("--civilite : {}", e.message),
                        field => format!("--{} : {}", field.replace('_', "-"), e.message),
                    })
                    .collect::<Vec<_>>()
                    .join(" ; ")
            })?;
            let state = state(store)?;
            let (_, link) = services::accounts::invite_regulator(&state, &regulator, None, None)
                .await
                .map_err(|e| match e.field_message("email") {
                    Some(message) => message,
                    None => e.to_string(),
                })?;
            println!("{link}");
            Ok(())
        }
        Command::Seed {
            set:
                SeedSet::National {
                    practitioners,
                    days,
                },
        } => tools::seed_national(store, &cli.communes_dir, practitioners, days).await,
        Command::Seed {
            set: SeedSet::Bookings { per_day, days },
        } => {
            let written = tools::indicators_bench::seed_bookings(store.as_ref(), per_day, days)
                .await
                .map_err(|e| e.to_string())?;
            println!("{written} rendez-vous passés écrits.");
            Ok(())
        }
        Command::Bench {
            target:
                BenchTarget::Indicators {
                    requests,
                    concurrency,
                },
        } => tools::indicators_bench::bench_indicators(store, requests, concurrency)
            .await
            .map_err(|e| e.to_string()),
        Command::Bench {
            target:
                BenchTarget::Search {
                    searches,
                    concurrency,
                },
        } => tools::bench_search(store, &cli.communes_dir, searches, concurrency).await,
        Command::Bench {
            target:
                BenchTarget::SignIn {
                    server,
                    clients,
                    sign_ins,
                },
        } => tools::sign_in_load::bench_sign_in(server, clients.min(200), sign_ins).await,
        Command::Load {
            target:
                LoadTarget::Booking {
                    server,
                    attempts,
                    per_slot,
                    parallel_slots,
                    journal,
                },
        } => {
            let plan = tools::booking_load::LoadPlan {
                server,
                attempts,
                per_slot,
                parallel_slots,
                journal,
            };
            let report = tools::booking_load::load_booking(store.as_ref(), &plan).await?;
            report.print();
            report.verdict.into_result()
        }
        Command::Load {
            target: LoadTarget::Check { journal },
        } => {
            let verdict = tools::booking_load::check_journal(store.as_ref(), &journal).await?;
            verdict.print();
            verdict.into_result()
        }
        Command::CreateAdmin {
            email,
            first_name,
            last_name,
            departement,
        } => {
            let email = argument("email", Email::parse(&email))?;
            let first_name = argument("first-name", PersonName::parse(&first_name))?;
            let last_name = argument("last-name", PersonName::parse(&last_name))?;
            let departement = departement
                .map(|d| argument("departement", Departement::parse(&d)))
                .transpose()?;
            let state = state(store)?;
            let names = (&first_name, &last_name);
            let link =
                services::accounts::create_admin(&state, &email, names, departement.as_ref())
                    .await
                    .map_err(|e| e.field_message("email").unwrap_or_else(|| e.to_string()))?;
            println!(
                "Compte administrateur créé. Lien à usage unique pour choisir son mot de passe \
                 (valable {} h) :\n{link}",
                services::accounts::ADMIN_LINK_HOURS
            );
            Ok(())
        }
        Command::Serve { demo } => {
            if demo {
                tools::demo::seed_demo(store.as_ref())
                    .await
                    .map_err(|e| e.to_string())?;
            } else if cli.smtp_url.is_none() {
                tracing::warn!(
                    "ATTENTION : aucun serveur de courriel (SMTP_URL). Les courriels (invitations, \
                     liens de mot de passe) ne partent pas : ils restent dans la boîte d'envoi de \
                     la base. À ne faire qu'en démonstration."
                );
            }
            let mut jobs = Jobs::new();
            slots::top_up_job(&mut jobs, store.clone(), cli.slot_horizon_days);
            slots::hold_sweeper_job(&mut jobs, store.clone());
            sas_rdv::server::auth::purge_job(&mut jobs, store.clone());
            sas_rdv::server::services::extra::expiry_job(&mut jobs, store.clone());
            let state = state(store)?;
            let attachments_dir = state.booking.attachments_dir.clone();
            attachments::cleanup_job(&mut jobs, state.store.clone(), attachments_dir.clone());
            let retention = cli.retention_days;
            sas_rdv::server::retention::retention_job(
                &mut jobs,
                state.store.clone(),
                retention,
                attachments_dir,
            );
            http::serve(state, jobs).await.map_err(|e| e.to_string())
        }
    }
}

/// A command-line value checked by the domain, its refusal naming the option.
fn argument<T>(name: &str, value: Result<T, String>) -> Result<T, String> {
    value.map_err(|message| format!("--{name} : {message}"))
}

/// Site settings: from cargo-leptos' environment when it runs us, else from `Leptos.toml`
/// (its `LEPTOS_*` environment variables still override each key).
fn leptos_options() -> Result<leptos::prelude::LeptosOptions, String> {
    let file = std::env::var("LEPTOS_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
    let conf = if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some()
        || !std::path::Path::new(&file).exists()
    {
        leptos::prelude::get_configuration(None)
    } else {
        leptos::prelude::get_configuration(Some(&file))
    };
    conf.map(|c| c.leptos_options)
        .map_err(|e| format!("configuration du site ({file}) : {e}"))
}
