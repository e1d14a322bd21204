/// Storekeeper's strict reader for the YAML subset its config files use.
///
/// Accepted: block mappings, block sequences of scalars, one-line flow
/// sequences of scalars, plain and quoted one-line scalars, comments, blank
/// lines and a leading `---`. Everything else is refused with the line,
/// so a document this reader accepts means exactly what PyYAML's
/// `safe_load` makes of it (the tests check that against PyYAML itself).
public enum YAMLReader {
    /// Parses one document whose root is a block mapping; an empty document
    /// is an empty mapping.
    public static func parse(_ text: String, file: String) throws(YAMLError) -> YAMLNode {
        var parser = try YAMLBlockParser(lines: YAMLLine.split(text, file: file), file: file)
        return try parser.parseDocument()
    }
}
