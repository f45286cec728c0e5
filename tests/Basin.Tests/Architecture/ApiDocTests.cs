using System.Reflection;
using System.Text;
using System.Xml.Linq;
using Xunit;

namespace Basin.Tests.Architecture;

/// <summary>docs/api.md lists every public type of the library by folder, with its summary, as the assembly has them.</summary>
public class ApiDocTests
{
    /// <summary>The page as the assembly and its XML documentation describe it.</summary>
    private static string Page()
    {
        var assembly = typeof(Basin.Metrics.MetricRegistry).Assembly;
        var docs = XDocument.Load(Path.ChangeExtension(assembly.Location, ".xml")).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => m.Element("summary") is { } s ? string.Join(" ", string.Concat(s.Nodes().Select(Text)).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : "");
        var md = new StringBuilder("# Public API of the Basin library, by folder\n\n");
        md.Append("Generated from the assembly and its XML documentation; `tests/Basin.Tests/Architecture/ApiDocTests.cs` fails when this page\n");
        md.Append("falls behind the code (`BASIN_WRITE_API_DOC=1 dotnet test --filter ApiDocTests` rewrites it). Namespaces mirror the folders of `src/Basin/`.\n");
        foreach (var group in assembly.GetExportedTypes().GroupBy(t => t.Namespace ?? "Basin").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            md.Append($"\n## `{group.Key}`\n\n| type | what it is |\n| --- | --- |\n");
            foreach (var type in group.OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                string name = (type.FullName ?? type.Name).Replace('+', '.');
                string shortName = name[(group.Key.Length + 1)..];
                string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.GetMethod("<Clone>$") is not null ? "record" : type.IsAbstract && type.IsSealed ? "static class" : "class";
                md.Append($"| `{Generic(shortName)}` ({kind}) | {Generic(docs.GetValueOrDefault("T:" + name, "")).Replace("|", "\\|")} |\n");
            }
        }
        return md.ToString();
    }

    /// <summary><c>Name`1</c> as <c>Name&lt;T&gt;</c>.</summary>
    private static string Generic(string text) => System.Text.RegularExpressions.Regex.Replace(text, "`1", "<T>");

    private static string Text(XNode node) => node switch
    {
        XText t => t.Value,
        XElement { Name.LocalName: "see" or "seealso" } e => "`" + ((string?)e.Attribute("cref") ?? (string?)e.Attribute("langword") ?? "").Split(':').Last().Split('.').Last().Split('(')[0] + "`",
        XElement { Name.LocalName: "paramref" or "typeparamref" } e => "`" + (string?)e.Attribute("name") + "`",
        XElement { Name.LocalName: "c" } e => "`" + e.Value + "`",
        XElement e => string.Concat(e.Nodes().Select(Text)),
        _ => "",
    };

    [Fact]
    public void TheApiPageListsEveryPublicType()
    {
        string path = Path.Combine(Repository.Root(), "docs", "api.md");
        string page = Page();
        if (Environment.GetEnvironmentVariable("BASIN_WRITE_API_DOC") == "1") File.WriteAllText(path, page);
        Assert.True(File.Exists(path) && File.ReadAllText(path) == page,
            "docs/api.md differs from the public API: rewrite it with BASIN_WRITE_API_DOC=1 dotnet test --filter ApiDocTests");
    }
}
