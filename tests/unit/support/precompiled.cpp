// The source of the unit tests' precompiled headers (tests/CMakeLists.txt): empty, its
// headers come with the build.
