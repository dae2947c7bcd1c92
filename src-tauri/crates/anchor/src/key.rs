//! The anchoring key: a raw 32-byte secp256k1 scalar, as the engine stores it in the OS keyring.

use alloy::primitives::B256;
use alloy::signers::local::PrivateKeySigner;

use crate::AnchorError;

/// A fresh random anchoring key (from the OS-seeded thread RNG). Fund its [`address_of`] before anchoring.
pub fn generate_key() -> [u8; 32] {
    PrivateKeySigner::random().to_bytes().0
}

/// The EIP-55 checksummed address (`0x…`) of `key`; an error if `key` is zero or not below the curve order.
pub fn address_of(key: &[u8; 32]) -> Result<String, AnchorError> {
    Ok(signer(key)?.address().to_checksum(None))
}

pub(crate) fn signer(key: &[u8; 32]) -> Result<PrivateKeySigner, AnchorError> {
    PrivateKeySigner::from_bytes(&B256::from(*key))
        .map_err(|_| AnchorError::Key("not a valid secp256k1 private key (zero, or not below the curve order)".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anvil_dev_key_has_its_well_known_address() {
        let key = hex::decode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").unwrap();
        let key: [u8; 32] = key.try_into().unwrap();
        assert_eq!(address_of(&key).unwrap(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    }

    #[test]
    fn generated_keys_are_valid_and_distinct() {
        let (a, b) = (generate_key(), generate_key());
        assert_ne!(a, b);
        assert!(address_of(&a).is_ok());
    }

    #[test]
    fn rejects_invalid_scalars() {
        assert!(matches!(address_of(&[0u8; 32]), Err(AnchorError::Key(_))));
        assert!(matches!(address_of(&[0xffu8; 32]), Err(AnchorError::Key(_))));
    }
}
