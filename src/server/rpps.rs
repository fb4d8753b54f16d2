//! `sas-rdv import-rpps FILE`: loads the public extraction of the national directory of health
//! professionals (Annuaire Santé, « PS_LibreAcces_Personne_activite ») that registrations are
//! checked against. The file (about two million lines) is read line by line and written in
//! batches of short transactions; the new directory replaces the previous one once complete.

use super::store::Store;
use crate::domain::rpps::{Columns, DirectoryEntry};
use std::path::Path;
use tokio::io::{AsyncBufReadExt, BufReader};

const BATCH: usize = 1000;

pub struct ImportReport {
    pub lines: usize,
    pub skipped: usize,
    pub professionals: i64,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Annuaire santé chargé : {} professionnels (numéros RPPS distincts) sur {} lignes lues, \
             {} lignes sans numéro RPPS ou sans nom ignorées.",
            self.professionals, self.lines, self.skipped
        )
    }
}

/// Reads the extraction at `path` into a new import and makes it the directory in force.
/// A file of another format is refused before anything is written.
pub async fn import_file(store: &Store, path: &Path) -> Result<ImportReport, String> {
    let cant_read = |e: std::io::Error| format!("lecture de {} impossible : {e}", path.display());
    let file = tokio::fs::File::open(path).await.map_err(cant_read)?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    reader
        .read_until(b'\n', &mut line)
        .await
        .map_err(cant_read)?;
    let columns = Columns::from_header(&String::from_utf8_lossy(&line))?;
    let db = |e: super::store::StoreError| e.to_string();
    let source = path.file_name().unwrap_or_default().to_string_lossy();
    let import_id = store
        .start_rpps_import(&source, super::now())
        .await
        .map_err(db)?;
    let mut batch: Vec<DirectoryEntry> = Vec::with_capacity(BATCH);
    let (mut lines, mut skipped) = (0, 0);
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .await
            .map_err(cant_read)?
            == 0
        {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        lines += 1;
        match columns.entry(&text) {
            Some(entry) => batch.push(entry),
            None => skipped += 1,
        }
        if batch.len() == BATCH {
            store
                .insert_rpps_entries(import_id, &batch)
                .await
                .map_err(db)?;
            batch.clear();
        }
    }
    store
        .insert_rpps_entries(import_id, &batch)
        .await
        .map_err(db)?;
    let professionals = store
        .finish_rpps_import(import_id, super::now())
        .await
        .map_err(db)?;
    Ok(ImportReport {
        lines,
        skipped,
        professionals,
    })
}
