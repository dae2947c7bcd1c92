//! Where checkpoint signing keys live: the OS keychain through `keyring-core` (the API of `keyring` 4), with
//! the Secret Service (desktops; GNOME Keyring, KWallet) or the Linux kernel keyutils store (headless
//! servers). A plain key file exists only as an explicit, loudly warned fallback.

use rand::RngCore as _;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use vargate_proof::NoteSigner;

/// Keychain service name under which Vargate keeps its keys; the account is the log origin.
pub const SERVICE: &str = "dev.vargate.desktop.log-signing";

/// Hands out a log's checkpoint signer, creating and storing a new key the first time an origin is seen.
pub trait KeySource: Send + Sync + fmt::Debug {
    fn signer(&self, origin: &str) -> Result<NoteSigner, KeyError>;
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("keychain ({kind}) unavailable: {source}")]
    Unavailable { kind: KeystoreKind, source: keyring_core::Error },
    #[error("keychain ({kind}) failed for {origin:?}: {source}")]
    Keychain { kind: KeystoreKind, origin: String, source: keyring_core::Error },
    #[error("stored key for {origin:?} is unreadable: {reason}")]
    BadKey { origin: String, reason: String },
    #[error("keychain thread: {0}")]
    Thread(String),
    #[error("key file {path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeystoreKind {
    /// freedesktop Secret Service over D-Bus (GNOME Keyring, KWallet).
    SecretService,
    /// Linux kernel keyutils, persistent keyring of the user.
    Keyutils,
    /// A key file in a directory. Weaker than a keychain: anyone who can read the file can sign checkpoints.
    InsecureFile(PathBuf),
}

impl fmt::Display for KeystoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeystoreKind::SecretService => f.write_str("secret-service"),
            KeystoreKind::Keyutils => f.write_str("keyutils"),
            KeystoreKind::InsecureFile(p) => write!(f, "insecure-file:{}", p.display()),
        }
    }
}

impl FromStr for KeystoreKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "secret-service" => Ok(KeystoreKind::SecretService),
            "keyutils" => Ok(KeystoreKind::Keyutils),
            _ => match s.strip_prefix("insecure-file:") {
                Some(dir) if !dir.is_empty() => Ok(KeystoreKind::InsecureFile(PathBuf::from(dir))),
                _ => Err(format!("unknown keystore {s:?}: use secret-service, keyutils or insecure-file:DIR")),
            },
        }
    }
}

enum Backend {
    Os(Arc<keyring_core::CredentialStore>),
    File(PathBuf),
}

type Request = (String, std::sync::mpsc::Sender<Result<NoteSigner, KeyError>>);

/// The real key source. The keychain client lives on a thread of its own: the Secret Service client makes
/// blocking D-Bus calls (even when it is dropped), which must never happen on an async runtime's workers.
pub struct Keychain {
    kind: KeystoreKind,
    requests: std::sync::Mutex<std::sync::mpsc::Sender<Request>>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain").field("kind", &self.kind).finish()
    }
}

impl Keychain {
    /// Connects to the keystore, failing if it cannot be reached.
    pub fn open(kind: KeystoreKind) -> Result<Self, KeyError> {
        let (requests, rx) = std::sync::mpsc::channel::<Request>();
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let thread_kind = kind.clone();
        std::thread::Builder::new()
            .name("vargate-keychain".into())
            .spawn(move || match Backend::open(&thread_kind) {
                Ok(backend) => {
                    let _ = opened_tx.send(Ok(()));
                    for (origin, reply) in rx {
                        let _ = reply.send(backend.signer(&thread_kind, &origin));
                    }
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            })
            .map_err(|e| KeyError::Thread(e.to_string()))?;
        opened_rx.recv().map_err(|e| KeyError::Thread(e.to_string()))??;
        Ok(Keychain { kind, requests: std::sync::Mutex::new(requests) })
    }

    pub fn kind(&self) -> &KeystoreKind {
        &self.kind
    }
}

impl KeySource for Keychain {
    /// Blocking: call it off the async runtime (e.g. in `spawn_blocking`).
    fn signer(&self, origin: &str) -> Result<NoteSigner, KeyError> {
        let (reply, answer) = std::sync::mpsc::channel();
        {
            let requests = self.requests.lock().map_err(|_| KeyError::Thread("keychain lock poisoned".into()))?;
            requests
                .send((origin.to_owned(), reply))
                .map_err(|_| KeyError::Thread("keychain thread stopped".into()))?;
        }
        answer.recv().map_err(|_| KeyError::Thread("keychain thread stopped".into()))?
    }
}

impl Backend {
    fn open(kind: &KeystoreKind) -> Result<Self, KeyError> {
        let unavailable = |source| KeyError::Unavailable { kind: kind.clone(), source };
        Ok(match kind {
            KeystoreKind::SecretService => {
                Backend::Os(zbus_secret_service_keyring_store::Store::new().map_err(unavailable)?)
            }
            KeystoreKind::Keyutils => Backend::Os(linux_keyutils_keyring_store::Store::new().map_err(unavailable)?),
            KeystoreKind::InsecureFile(dir) => {
                tracing::warn!(
                    "checkpoint signing keys are kept in plain files under {}: anyone who can read them can forge checkpoints; use the OS keychain in production",
                    dir.display()
                );
                Backend::File(dir.clone())
            }
        })
    }

    fn load(&self, kind: &KeystoreKind, origin: &str) -> Result<Option<String>, KeyError> {
        match self {
            Backend::Os(store) => match entry(kind, store, origin)?.get_password() {
                Ok(s) => Ok(Some(s)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(source) => Err(failure(kind, origin, source)),
            },
            Backend::File(dir) => {
                let path = key_path(dir, origin);
                match std::fs::read_to_string(&path) {
                    Ok(s) => Ok(Some(s.trim().to_owned())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(KeyError::File { path, source }),
                }
            }
        }
    }

    fn save(&self, kind: &KeystoreKind, origin: &str, skey: &str) -> Result<(), KeyError> {
        match self {
            Backend::Os(store) => {
                entry(kind, store, origin)?.set_password(skey).map_err(|source| failure(kind, origin, source))
            }
            Backend::File(dir) => {
                let path = key_path(dir, origin);
                write_private(&path, skey).map_err(|source| KeyError::File { path, source })
            }
        }
    }

    fn signer(&self, kind: &KeystoreKind, origin: &str) -> Result<NoteSigner, KeyError> {
        let bad = |reason: String| KeyError::BadKey { origin: origin.to_owned(), reason };
        if let Some(skey) = self.load(kind, origin)? {
            let signer = NoteSigner::parse(&skey).map_err(|e| bad(e.to_string()))?;
            if signer.verifier().name != origin {
                return Err(bad(format!("it is named {:?}", signer.verifier().name)));
            }
            return Ok(signer);
        }
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let signer = NoteSigner::from_seed(origin, seed).map_err(|e| bad(e.to_string()))?;
        self.save(kind, origin, &signer.to_skey())?;
        // Read it back: a key we cannot find again would orphan every checkpoint signed with it.
        match self.load(kind, origin)? {
            Some(stored) if stored == signer.to_skey() => {
                tracing::info!(origin, kind = %kind, "created checkpoint signing key {}", signer.verifier().to_vkey());
                Ok(signer)
            }
            _ => Err(bad("the keychain did not return the key just stored".into())),
        }
    }
}

fn entry(
    kind: &KeystoreKind,
    store: &Arc<keyring_core::CredentialStore>,
    origin: &str,
) -> Result<keyring_core::Entry, KeyError> {
    keyring_core::Entry::new_in_store(store, SERVICE, origin).map_err(|source| failure(kind, origin, source))
}

fn failure(kind: &KeystoreKind, origin: &str, source: keyring_core::Error) -> KeyError {
    KeyError::Keychain { kind: kind.clone(), origin: origin.to_owned(), source }
}

fn key_path(dir: &std::path::Path, origin: &str) -> PathBuf {
    let safe: String =
        origin.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    dir.join(format!("{safe}.skey"))
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

/// A fixed key, for tests and benchmarks of the log itself (the keychain has its own tests).
#[derive(Debug, Clone)]
pub struct FixedKey(pub [u8; 32]);

impl KeySource for FixedKey {
    fn signer(&self, origin: &str) -> Result<NoteSigner, KeyError> {
        NoteSigner::from_seed(origin, self.0)
            .map_err(|e| KeyError::BadKey { origin: origin.to_owned(), reason: e.to_string() })
    }
}
