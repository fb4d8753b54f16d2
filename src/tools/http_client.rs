//! The few HTTP/1.1 requests the load tools send to a server on the loopback: one form POST per
//! connection, as a browser calling a server function does.

use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// What the server answered.
pub struct Answer {
    pub status: u16,
    /// `name=value` of each cookie set.
    pub cookies: Vec<String>,
    pub body: String,
}

/// Why a request got no answer.
#[derive(Debug)]
pub enum Unanswered {
    /// No connection: nothing was sent (the server is down, or restarting).
    NotConnected(String),
    /// Sent, but no readable answer came back: the request may or may not have been done.
    Lost(String),
}

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unanswered::NotConnected(why) | Unanswered::Lost(why) => f.write_str(why),
        }
    }
}

/// POSTs a form to `path` over a fresh connection from the local address `from`, with the
/// session `cookie` if any.
pub async fn post_form(
    server: SocketAddr,
    from: IpAddr,
    path: &str,
    body: &str,
    cookie: Option<&str>,
) -> Result<Answer, Unanswered> {
    let not_connected = |e: String| Unanswered::NotConnected(e);
    let socket = TcpSocket::new_v4().map_err(|e| not_connected(e.to_string()))?;
    socket
        .bind(SocketAddr::new(from, 0))
        .map_err(|e| not_connected(format!("adresse locale {from} : {e}")))?;
    let mut stream = socket
        .connect(server)
        .await
        .map_err(|e| not_connected(format!("connexion à {server} : {e}")))?;
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {server}\r\nOrigin: http://{server}\r\n{cookie}\
         Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let lost = |e: std::io::Error| Unanswered::Lost(e.to_string());
    stream.write_all(request.as_bytes()).await.map_err(lost)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(lost)?;
    parse(&String::from_utf8_lossy(&answer)).map_err(Unanswered::Lost)
}

fn parse(answer: &str) -> Result<Answer, String> {
    let unreadable = || format!("réponse illisible : {}", &answer[..answer.len().min(64)]);
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(unreadable)?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(unreadable)?;
    let mut cookies = Vec::new();
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "set-cookie" => cookies.extend(value.trim().split(';').next().map(str::to_string)),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_string()
    };
    Ok(Answer {
        status,
        cookies,
        body,
    })
}

/// The body of a chunked answer: each chunk's size line dropped.
fn unchunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16);
        match size {
            Ok(size) if size > 0 && after.len() >= size => {
                body.push_str(&after[..size]);
                rest = after[size..].trim_start_matches("\r\n");
            }
            _ => break,
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_plain_or_chunked() {
        let plain = parse(
            "HTTP/1.1 200 OK\r\nset-cookie: sas_session=abc; Path=/; HttpOnly\r\n\
             content-length: 2\r\n\r\n42",
        )
        .unwrap();
        assert_eq!(
            (plain.status, plain.cookies, plain.body.as_str()),
            (200, vec!["sas_session=abc".to_string()], "42")
        );
        let chunked = parse(
            "HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\"Slo\r\n7\r\ntTaken\"\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (chunked.status, chunked.body.as_str()),
            (409, "\"SlotTaken\"")
        );
        assert!(parse("garbage").is_err());
    }
}
