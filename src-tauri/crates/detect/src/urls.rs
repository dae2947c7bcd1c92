//! What a URL or host means for security: destinations such as paste sites, webhook catchers, tunnels and raw
//! public IPs. Shared by [`crate::analyse_url`], the command rules and the behaviour detectors.

use crate::command::Category;
use crate::paths::Class;

/// Hosts where anyone can drop and fetch files.
const PASTE_SITES: &[&str] = &[
    "pastebin.com",
    "paste.ee",
    "hastebin.com",
    "ghostbin.com",
    "ghostbin.co",
    "transfer.sh",
    "file.io",
    "0x0.st",
    "termbin.com",
    "anonfiles.com",
    "gofile.io",
    "temp.sh",
    "bashupload.com",
    "catbox.moe",
    "litterbox.catbox.moe",
    "ix.io",
    "sprunge.us",
    "dpaste.com",
    "dpaste.org",
    "paste.rs",
    "rentry.co",
    "controlc.com",
    "justpaste.it",
    "filebin.net",
    "oshi.at",
    "tmpfiles.org",
    "uguu.se",
    "pixeldrain.com",
    "wetransfer.com",
    "send.vis.ee",
];

/// Services that record whatever is sent to them, or expose a local port.
const CATCHERS: &[&str] = &[
    "webhook.site",
    "requestbin.com",
    "requestbin.net",
    "pipedream.net",
    "m.pipedream.net",
    "beeceptor.com",
    "hookbin.com",
    "requestcatcher.com",
    "interact.sh",
    "oast.fun",
    "oast.pro",
    "oast.live",
    "oast.site",
    "oast.online",
    "oast.me",
    "burpcollaborator.net",
    "oastify.com",
    "canarytokens.com",
    "dnslog.cn",
    "ceye.io",
    "postb.in",
    "ptsv2.com",
    "ptsv3.com",
    "mockbin.org",
];

const TUNNELS: &[&str] = &[
    "ngrok.io",
    "ngrok-free.app",
    "ngrok.app",
    "ngrok.dev",
    "trycloudflare.com",
    "loca.lt",
    "serveo.net",
    "localhost.run",
    "lhr.life",
    "pinggy.io",
    "pinggy.link",
    "localtunnel.me",
    "bore.pub",
    "telebit.cloud",
];

fn host_matches(host: &str, list: &[&str]) -> bool {
    list.iter().any(|d| host == *d || host.strip_suffix(d).is_some_and(|r| r.ends_with('.')))
}

pub(crate) fn is_tunnel_host(host: &str) -> bool {
    host_matches(&host.to_ascii_lowercase(), TUNNELS)
}

/// The lower-cased host of a URL or `host[:port][/path]`, and its scheme when one is given.
pub(crate) fn url_host(url: &str) -> (Option<String>, String) {
    let u = url.trim().trim_matches(['"', '\'']);
    let (scheme, rest) = match u.find("://") {
        Some(i) => (Some(u.get(..i).unwrap_or_default().to_ascii_lowercase()), u.get(i + 3..).unwrap_or_default()),
        None => (None, u),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostport = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(h) = hostport.strip_prefix('[') {
        h.split(']').next().unwrap_or_default()
    } else if hostport.matches(':').count() > 1 {
        hostport
    } else {
        hostport.split(':').next().unwrap_or_default()
    };
    (scheme, host.trim_end_matches('.').to_ascii_lowercase())
}

/// Whether `s` looks like a URL or a bare `host.tld[/…]` a network tool would fetch.
pub(crate) fn looks_like_url(s: &str) -> bool {
    if s.contains("://") {
        return true;
    }
    if s.starts_with('-') || s.starts_with('/') || s.starts_with('.') || s.contains(' ') {
        return false;
    }
    let (_, host) = url_host(s);
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let labels: Vec<&str> = host.split('.').collect();
    is_ip
        || labels.len() >= 2
            && labels.last().is_some_and(|t| t.len() >= 2 && t.bytes().all(|c| c.is_ascii_alphabetic()))
            && labels.iter().all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
            && ![
                "sh", "py", "txt", "json", "tar", "gz", "zip", "rs", "js", "md", "log", "conf", "yaml", "yml", "pem",
                "key",
            ]
            .contains(labels.last().unwrap_or(&""))
}

pub(crate) fn is_public_ip(host: &str) -> Option<bool> {
    let ip: std::net::IpAddr = host.parse().ok()?;
    Some(match ip {
        std::net::IpAddr::V4(v) => !(v.is_private() || v.is_loopback() || v.is_link_local() || v.is_unspecified()),
        std::net::IpAddr::V6(v) => {
            !(v.is_loopback() || v.is_unspecified() || (v.segments().first().copied().unwrap_or(0) & 0xfe00) == 0xfc00)
        }
    })
}

fn is_local(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.ends_with(".internal")
        || is_public_ip(host) == Some(false)
}

/// Risky destinations: raw public IPs, paste and transfer sites, request catchers, tunnels, cleartext.
pub(crate) fn classify_url(url: &str) -> Vec<Class> {
    use Category::Exfiltration as X;
    let mut out = Vec::new();
    let (scheme, host) = url_host(url);
    if host.is_empty() {
        return out;
    }
    let full = url.to_ascii_lowercase();
    if is_public_ip(&host) == Some(true) {
        out.push((X, "raw_ip_destination", 40));
    }
    if host_matches(&host, PASTE_SITES) {
        out.push((X, "paste_or_transfer_site", 55));
    }
    if host_matches(&host, CATCHERS)
        || full.contains("discord.com/api/webhooks")
        || full.contains("discordapp.com/api/webhooks")
        || full.contains("api.telegram.org/bot")
    {
        out.push((X, "request_catcher", 60));
    }
    if host_matches(&host, TUNNELS) {
        out.push((X, "tunnel_endpoint", 55));
    }
    if matches!(scheme.as_deref(), Some("http" | "ftp" | "telnet" | "tftp")) && !is_local(&host) {
        out.push((X, "cleartext_transport", 20));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(url_host("https://user:pw@Example.COM:8443/x?y"), (Some("https".into()), "example.com".into()));
        assert!(classify_url("https://webhook.site/abc").iter().any(|c| c.1 == "request_catcher"));
        assert!(classify_url("http://203.0.113.7/x").iter().any(|c| c.1 == "raw_ip_destination"));
        assert!(classify_url("http://localhost:3000/api").is_empty());
        assert!(classify_url("https://api.github.com/repos").is_empty());
        assert!(looks_like_url("203.0.113.7/k"));
        assert!(looks_like_url("example.com"));
        assert!(!looks_like_url("install.sh"));
    }
}
