// swift-tools-version:5.7
// UNTESTED: no Swift compiler can be installed on the machine this was written on (see
// README.md). Before `swift build`, copy sdk-ffi/include/tandem.h to Sources/CTandem/include/
// and build libtandem_ffi.a for the target (README.md has the commands).
import PackageDescription

let package = Package(
    name: "Tandem",
    products: [.library(name: "Tandem", targets: ["Tandem"])],
    targets: [
        .systemLibrary(name: "CTandem", path: "Sources/CTandem/include"),
        .target(name: "Tandem", dependencies: ["CTandem"]),
    ]
)
