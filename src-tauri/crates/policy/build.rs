// The shipped policies are compiled into the crate (include_dir!); rebuild it whenever they change.
fn main() {
    println!("cargo:rerun-if-changed=../../../policies");
}
