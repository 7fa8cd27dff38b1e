/// The platform's version: the one the .deb carries, `paastech --version` prints and the admin page shows.
public enum PlatformVersion {
    public static let current = "0.1.0"
}
