//! Where checkpoint signing keys live: the OS keychain through `keyring-core` (the API of `keyring` 4), with
//! the Secret Service (desktops; GNOME Keyring, KWallet) or the Linux kernel keyutils store (headless
//! servers). A plain key file exists only as an explicit, loudly warned fallback.

use rand::RngCore as _;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use vargate_proof::NoteSigner;

/// Keychain service name under which Vargate keeps its checkpoint signing keys; the account is the log origin.
pub const SERVICE: &str = "dev.vargate.desktop.log-signing";
/// Keychain service name of the tenants' data keys (which wrap the per-session keys that seal PII); the
/// account is the log origin.
pub const DATA_SERVICE: &str = "dev.vargate.desktop.data-key";
/// Keychain service of credentials Vargate uses on the user's behalf (the managed-agents API key).
pub const CREDENTIAL_SERVICE: &str = "dev.vargate.desktop.credential";

/// A tenant's data key: 32 random bytes for AES-256-GCM.
pub type DataKey = [u8; 32];

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
    /// The data key of `origin`'s tenant, created first when `create` and there is none.
    fn data_key(&self, origin: &str, create: bool) -> Result<Option<DataKey>, KeyError>;
    /// Destroys the data key of `origin`'s tenant (crypto-shredding); true if there was one.
    fn destroy_data_key(&self, origin: &str) -> Result<bool, KeyError>;
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

#[derive(Debug, Clone)]
enum Op {
    Find,
    Create,
    DataKey { create: bool },
    DestroyDataKey,
    Credential,
    SetCredential(Secret),
    DeleteCredential,
}

/// A credential on its way to the keychain thread; never printed.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[secret]")
    }
}

enum Reply {
    Signer(Option<Box<NoteSigner>>),
    DataKey(Option<DataKey>),
    Destroyed(bool),
    Credential(Option<String>),
    Stored,
}

type Request = (Op, String, std::sync::mpsc::Sender<Result<Reply, KeyError>>);

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

    /// [`Keychain::open`], then a question for a key that does not exist: some keystores connect only on
    /// first use, and a keystore that cannot be reached should be one clear error before any work starts
    /// (not a failure per session, minutes in). Blocking.
    pub fn open_checked(kind: KeystoreKind) -> Result<Self, KeyError> {
        let keychain = Self::open(kind)?;
        crate::KeySource::find(&keychain, "vargate-keystore-probe")?;
        Ok(keychain)
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
                            Op::Find => backend.find(&thread_kind, &origin).map(|s| Reply::Signer(s.map(Box::new))),
                            Op::Create => {
                                backend.create(&thread_kind, &origin).map(|s| Reply::Signer(Some(Box::new(s))))
                            }
                            Op::DataKey { create } => {
                                backend.data_key(&thread_kind, &origin, create).map(Reply::DataKey)
                            }
                            Op::DestroyDataKey => {
                                backend.destroy(&thread_kind, Slot::Data, &origin).map(Reply::Destroyed)
                            }
                            Op::Credential => {
                                backend.load(&thread_kind, Slot::Credential, &origin).map(Reply::Credential)
                            }
                            Op::SetCredential(Secret(secret)) => {
                                backend.save(&thread_kind, Slot::Credential, &origin, &secret).map(|()| Reply::Stored)
                            }
                            Op::DeleteCredential => {
                                backend.destroy(&thread_kind, Slot::Credential, &origin).map(Reply::Destroyed)
                            }
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

    /// The credential stored under `name` (e.g. an API key), if any. Blocking.
    pub fn credential(&self, name: &str) -> Result<Option<String>, KeyError> {
        match self.ask(Op::Credential, name)? {
            Reply::Credential(c) => Ok(c),
            _ => Err(unexpected()),
        }
    }

    /// Stores a credential under `name`, replacing any. Blocking.
    pub fn set_credential(&self, name: &str, secret: &str) -> Result<(), KeyError> {
        match self.ask(Op::SetCredential(Secret(secret.to_owned())), name)? {
            Reply::Stored => Ok(()),
            _ => Err(unexpected()),
        }
    }

    /// Deletes the credential stored under `name`; true if there was one. Blocking.
    pub fn delete_credential(&self, name: &str) -> Result<bool, KeyError> {
        match self.ask(Op::DeleteCredential, name)? {
            Reply::Destroyed(existed) => Ok(existed),
            _ => Err(unexpected()),
        }
    }
}

impl Keychain {
    /// Blocking: call it off the async runtime (e.g. in `spawn_blocking`).
    fn ask(&self, op: Op, origin: &str) -> Result<Reply, KeyError> {
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
        match self.ask(Op::Find, origin)? {
            Reply::Signer(s) => Ok(s.map(|s| *s)),
            _ => Err(unexpected()),
        }
    }

    fn create(&self, origin: &str) -> Result<NoteSigner, KeyError> {
        match self.ask(Op::Create, origin)? {
            Reply::Signer(Some(s)) => Ok(*s),
            _ => Err(unexpected()),
        }
    }

    fn describe(&self) -> String {
        self.kind.to_string()
    }

    fn data_key(&self, origin: &str, create: bool) -> Result<Option<DataKey>, KeyError> {
        match self.ask(Op::DataKey { create }, origin)? {
            Reply::DataKey(k) => Ok(k),
            _ => Err(unexpected()),
        }
    }

    fn destroy_data_key(&self, origin: &str) -> Result<bool, KeyError> {
        match self.ask(Op::DestroyDataKey, origin)? {
            Reply::Destroyed(existed) => Ok(existed),
            _ => Err(unexpected()),
        }
    }
}

fn unexpected() -> KeyError {
    KeyError::Thread("the keychain thread answered another request".into())
}

/// What a keychain entry holds: a checkpoint signing key, a data key or a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Signing,
    Data,
    Credential,
}

impl Slot {
    fn service(self) -> &'static str {
        match self {
            Slot::Signing => SERVICE,
            Slot::Data => DATA_SERVICE,
            Slot::Credential => CREDENTIAL_SERVICE,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Slot::Signing => "skey",
            Slot::Data => "dkey",
            Slot::Credential => "cred",
        }
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

    fn load(&self, kind: &KeystoreKind, slot: Slot, origin: &str) -> Result<Option<String>, KeyError> {
        match self {
            Backend::Os(store) => match entry(kind, store, slot, origin)?.get_password() {
                Ok(s) => Ok(Some(s)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(reason) => Err(failure(kind, origin, reason)),
            },
            Backend::File(dir) => {
                let path = key_path(dir, slot, origin);
                match std::fs::read_to_string(&path) {
                    Ok(s) => Ok(Some(s.trim().to_owned())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(reason) => Err(KeyError::File { path, reason }),
                }
            }
        }
    }

    fn save(&self, kind: &KeystoreKind, slot: Slot, origin: &str, secret: &str) -> Result<(), KeyError> {
        match self {
            Backend::Os(store) => {
                entry(kind, store, slot, origin)?.set_password(secret).map_err(|reason| failure(kind, origin, reason))
            }
            Backend::File(dir) => {
                let path = key_path(dir, slot, origin);
                // Keys are written once (never over another); a credential may be replaced, atomically.
                let written = if slot == Slot::Credential {
                    let part = path.with_extension("cred.part");
                    let _ = std::fs::remove_file(&part);
                    write_private(&part, secret).and_then(|()| std::fs::rename(&part, &path))
                } else {
                    write_private(&path, secret)
                };
                written.map_err(|reason| KeyError::File { path, reason })
            }
        }
    }

    /// Deletes an entry; a key file is overwritten before it is removed. True if there was one.
    fn destroy(&self, kind: &KeystoreKind, slot: Slot, origin: &str) -> Result<bool, KeyError> {
        match self {
            Backend::Os(store) => match entry(kind, store, slot, origin)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring_core::Error::NoEntry) => Ok(false),
                Err(reason) => Err(failure(kind, origin, reason)),
            },
            Backend::File(dir) => {
                let path = key_path(dir, slot, origin);
                let len = match std::fs::metadata(&path) {
                    Ok(m) => m.len(),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                    Err(reason) => return Err(KeyError::File { path, reason }),
                };
                let overwrite = std::fs::OpenOptions::new().write(true).open(&path).and_then(|mut f| {
                    use std::io::Write as _;
                    f.write_all(&vec![0u8; len as usize])?;
                    f.sync_all()
                });
                overwrite
                    .and_then(|()| std::fs::remove_file(&path))
                    .map(|()| true)
                    .map_err(|reason| KeyError::File { path, reason })
            }
        }
    }

    fn data_key(&self, kind: &KeystoreKind, origin: &str, create: bool) -> Result<Option<DataKey>, KeyError> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let bad = |reason: &str| KeyError::BadKey { origin: origin.to_owned(), reason: reason.to_owned() };
        if let Some(stored) = self.load(kind, Slot::Data, origin)? {
            let bytes = b64.decode(stored.trim()).map_err(|_| bad("the data key is not base64"))?;
            return DataKey::try_from(bytes).map(Some).map_err(|_| bad("the data key is not 32 bytes"));
        }
        if !create {
            return Ok(None);
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        self.save(kind, Slot::Data, origin, &b64.encode(key))?;
        // Read it back: data sealed with a key the keychain lost could never be read again.
        match self.load(kind, Slot::Data, origin)? {
            Some(stored) if b64.decode(stored.trim()).ok().as_deref() == Some(&key[..]) => Ok(Some(key)),
            _ => Err(bad("the keychain did not return the data key just stored")),
        }
    }

    fn find(&self, kind: &KeystoreKind, origin: &str) -> Result<Option<NoteSigner>, KeyError> {
        let bad = |reason: String| KeyError::BadKey { origin: origin.to_owned(), reason };
        let Some(skey) = self.load(kind, Slot::Signing, origin)? else { return Ok(None) };
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
        self.save(kind, Slot::Signing, origin, &signer.to_skey())?;
        // Read it back: a key we cannot find again would orphan every checkpoint signed with it.
        match self.load(kind, Slot::Signing, origin)? {
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
    slot: Slot,
    origin: &str,
) -> Result<keyring_core::Entry, KeyError> {
    keyring_core::Entry::new_in_store(store, slot.service(), origin).map_err(|reason| failure(kind, origin, reason))
}

fn failure(kind: &KeystoreKind, origin: &str, reason: keyring_core::Error) -> KeyError {
    KeyError::Keychain { kind: kind.clone(), origin: origin.to_owned(), reason }
}

fn key_path(dir: &std::path::Path, slot: Slot, origin: &str) -> PathBuf {
    let safe: String =
        origin.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    dir.join(format!("{safe}.{}", slot.extension()))
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

    /// Derived from the seed and the origin: stable, and never destroyable.
    fn data_key(&self, origin: &str, _create: bool) -> Result<Option<DataKey>, KeyError> {
        use sha2::Digest as _;
        Ok(Some(
            sha2::Sha256::new().chain_update(b"data-key\n").chain_update(self.0).chain_update(origin).finalize().into(),
        ))
    }

    fn destroy_data_key(&self, origin: &str) -> Result<bool, KeyError> {
        Err(KeyError::BadKey { origin: origin.to_owned(), reason: "a fixed test key cannot be destroyed".into() })
    }
}
