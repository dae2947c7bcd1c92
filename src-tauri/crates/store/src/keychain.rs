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

/// Where a log's checkpoint signer comes from. A key is created only together with its log: an existing log
/// whose key is missing or different fails with an error, never with a fresh key (that would fork the log).
pub trait KeySource: Send + Sync + fmt::Debug {
    /// The stored signing key of `origin`, if this keystore holds one.
    fn find(&self, origin: &str) -> Result<Option<NoteSigner>, KeyError>;
    /// Creates and stores the signing key of a new log; a key already stored under that name (for which no
    /// log exists yet) is returned instead.
    fn create(&self, origin: &str) -> Result<NoteSigner, KeyError>;
    /// Names the keystore in messages, as `--keystore` spells it.
    fn describe(&self) -> String;
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    // The keychain's own error is part of the message rather than a `source`, so a chain of causes prints
    // it once.
    #[error(
        "the {kind} keystore cannot be reached ({reason}); choose one that works here with --keystore: secret-service, keyutils or insecure-file:DIR"
    )]
    Unavailable { kind: KeystoreKind, reason: keyring_core::Error },
    #[error("the {kind} keystore failed for {origin}: {reason}")]
    Keychain { kind: KeystoreKind, origin: String, reason: keyring_core::Error },
    #[error("stored key for {origin:?} is unreadable: {reason}")]
    BadKey { origin: String, reason: String },
    #[error("keychain thread: {0}")]
    Thread(String),
    #[error("key file {path}: {reason}")]
    File { path: PathBuf, reason: std::io::Error },
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

impl KeystoreKind {
    /// The warning a user must see once per run when keys are kept this way (the plain key file).
    pub fn warning(&self) -> Option<String> {
        match self {
            KeystoreKind::InsecureFile(dir) => Some(format!(
                "signing keys are kept in plain files under {}: anyone who can read them can forge checkpoints; use the OS keychain in production",
                dir.display()
            )),
            _ => None,
        }
    }
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
                Some("") => {
                    Err("insecure-file: needs a folder for the key files, as in insecure-file:/path/to/keys".into())
                }
                Some(dir) => Ok(KeystoreKind::InsecureFile(PathBuf::from(dir))),
                None => Err(format!("unknown keystore \"{s}\": use secret-service, keyutils or insecure-file:DIR")),
            },
        }
    }
}

enum Backend {
    Os(Arc<keyring_core::CredentialStore>),
    File(PathBuf),
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Find,
    Create,
}

type Request = (Op, String, std::sync::mpsc::Sender<Result<Option<NoteSigner>, KeyError>>);

/// The real key source. The keychain client lives on a thread of its own: the Secret Service client makes
/// blocking D-Bus calls (even when it is dropped), which must never happen on an async runtime's workers.
pub struct Keychain {
    kind: KeystoreKind,
    /// The keychain thread's queue; `None` until first used when opened with [`Keychain::lazy`].
    requests: std::sync::Mutex<Option<std::sync::mpsc::Sender<Request>>>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain").field("kind", &self.kind).finish()
    }
}

impl Keychain {
    /// Connects to the keystore, failing if it cannot be reached.
    pub fn open(kind: KeystoreKind) -> Result<Self, KeyError> {
        let requests = Self::connect(&kind)?;
        Ok(Keychain { kind, requests: std::sync::Mutex::new(Some(requests)) })
    }

    /// A keychain that connects on first use, so that work which signs nothing (reading a timeline,
    /// checking a log) does not need a reachable keystore. A failed connection is retried on the next use.
    pub fn lazy(kind: KeystoreKind) -> Self {
        Keychain { kind, requests: std::sync::Mutex::new(None) }
    }

    fn connect(kind: &KeystoreKind) -> Result<std::sync::mpsc::Sender<Request>, KeyError> {
        let (requests, rx) = std::sync::mpsc::channel::<Request>();
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let thread_kind = kind.clone();
        std::thread::Builder::new()
            .name("vargate-keychain".into())
            .spawn(move || match Backend::open(&thread_kind) {
                Ok(backend) => {
                    let _ = opened_tx.send(Ok(()));
                    for (op, origin, reply) in rx {
                        let _ = reply.send(match op {
                            Op::Find => backend.find(&thread_kind, &origin),
                            Op::Create => backend.create(&thread_kind, &origin).map(Some),
                        });
                    }
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            })
            .map_err(|e| KeyError::Thread(e.to_string()))?;
        opened_rx.recv().map_err(|e| KeyError::Thread(e.to_string()))??;
        Ok(requests)
    }

    pub fn kind(&self) -> &KeystoreKind {
        &self.kind
    }
}

impl Keychain {
    /// Blocking: call it off the async runtime (e.g. in `spawn_blocking`).
    fn ask(&self, op: Op, origin: &str) -> Result<Option<NoteSigner>, KeyError> {
        let (reply, answer) = std::sync::mpsc::channel();
        {
            let mut requests = self.requests.lock().map_err(|_| KeyError::Thread("keychain lock poisoned".into()))?;
            if requests.is_none() {
                *requests = Some(Self::connect(&self.kind)?);
            }
            requests
                .as_ref()
                .ok_or_else(|| KeyError::Thread("keychain not connected".into()))?
                .send((op, origin.to_owned(), reply))
                .map_err(|_| KeyError::Thread("keychain thread stopped".into()))?;
        }
        answer.recv().map_err(|_| KeyError::Thread("keychain thread stopped".into()))?
    }
}

impl KeySource for Keychain {
    fn find(&self, origin: &str) -> Result<Option<NoteSigner>, KeyError> {
        self.ask(Op::Find, origin)
    }

    fn create(&self, origin: &str) -> Result<NoteSigner, KeyError> {
        self.ask(Op::Create, origin)?.ok_or_else(|| KeyError::Thread("the keychain created no key".into()))
    }

    fn describe(&self) -> String {
        self.kind.to_string()
    }
}

impl Backend {
    fn open(kind: &KeystoreKind) -> Result<Self, KeyError> {
        let unavailable = |reason| KeyError::Unavailable { kind: kind.clone(), reason };
        Ok(match kind {
            KeystoreKind::SecretService => {
                Backend::Os(zbus_secret_service_keyring_store::Store::new().map_err(unavailable)?)
            }
            KeystoreKind::Keyutils => Backend::Os(linux_keyutils_keyring_store::Store::new().map_err(unavailable)?),
            KeystoreKind::InsecureFile(dir) => Backend::File(dir.clone()),
        })
    }

    fn load(&self, kind: &KeystoreKind, origin: &str) -> Result<Option<String>, KeyError> {
        match self {
            Backend::Os(store) => match entry(kind, store, origin)?.get_password() {
                Ok(s) => Ok(Some(s)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(reason) => Err(failure(kind, origin, reason)),
            },
            Backend::File(dir) => {
                let path = key_path(dir, origin);
                match std::fs::read_to_string(&path) {
                    Ok(s) => Ok(Some(s.trim().to_owned())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(reason) => Err(KeyError::File { path, reason }),
                }
            }
        }
    }

    fn save(&self, kind: &KeystoreKind, origin: &str, skey: &str) -> Result<(), KeyError> {
        match self {
            Backend::Os(store) => {
                entry(kind, store, origin)?.set_password(skey).map_err(|reason| failure(kind, origin, reason))
            }
            Backend::File(dir) => {
                let path = key_path(dir, origin);
                write_private(&path, skey).map_err(|reason| KeyError::File { path, reason })
            }
        }
    }

    fn find(&self, kind: &KeystoreKind, origin: &str) -> Result<Option<NoteSigner>, KeyError> {
        let bad = |reason: String| KeyError::BadKey { origin: origin.to_owned(), reason };
        let Some(skey) = self.load(kind, origin)? else { return Ok(None) };
        let signer = NoteSigner::parse(&skey).map_err(|e| bad(e.to_string()))?;
        if signer.verifier().name != origin {
            return Err(bad(format!("it is named {:?}", signer.verifier().name)));
        }
        Ok(Some(signer))
    }

    fn create(&self, kind: &KeystoreKind, origin: &str) -> Result<NoteSigner, KeyError> {
        let bad = |reason: String| KeyError::BadKey { origin: origin.to_owned(), reason };
        if let Some(signer) = self.find(kind, origin)? {
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
    keyring_core::Entry::new_in_store(store, SERVICE, origin).map_err(|reason| failure(kind, origin, reason))
}

fn failure(kind: &KeystoreKind, origin: &str, reason: keyring_core::Error) -> KeyError {
    KeyError::Keychain { kind: kind.clone(), origin: origin.to_owned(), reason }
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
    fn find(&self, origin: &str) -> Result<Option<NoteSigner>, KeyError> {
        self.create(origin).map(Some)
    }

    fn create(&self, origin: &str) -> Result<NoteSigner, KeyError> {
        NoteSigner::from_seed(origin, self.0)
            .map_err(|e| KeyError::BadKey { origin: origin.to_owned(), reason: e.to_string() })
    }

    fn describe(&self) -> String {
        "a fixed test key".to_owned()
    }
}
