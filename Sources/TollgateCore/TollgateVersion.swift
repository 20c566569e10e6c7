/// The version `tollgate --version` prints.
///
/// Raised with each release; the state format has its own version.
public enum TollgateVersion {
    public static let current = "0.4.0"
}
