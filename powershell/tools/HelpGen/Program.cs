using System.Management.Automation;
using System.Reflection;
using System.Xml.Linq;

// HelpGen <module.dll> <module.xml> <output.dll-Help.xml>
// Turns the doc comments of every [Cmdlet] class (synopsis, description, examples) and of
// its parameters into MAML, the format Get-Help reads for binary cmdlets.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: HelpGen <module.dll> <module.xml> <output.dll-Help.xml>");
    return 2;
}
var assembly = Assembly.LoadFrom(Path.GetFullPath(args[0]));
var docs = XDocument.Load(args[1]).Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m);
XNamespace msh = "http://msh";
XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
XNamespace dev = "http://schemas.microsoft.com/maml/dev/2004/10";
var problems = new List<string>();

string Text(XElement? e) => e is null ? "" : string.Join(" ", e.DescendantNodes().OfType<XText>().Select(t => t.Value.Trim()).Where(t => t.Length > 0));
XElement? Para(XElement? member, string type) => member?.Descendants("para").FirstOrDefault(p => (string?)p.Attribute("type") == type);
XElement Paras(XName name, string text) => new(name, new XElement(maml + "para", text));

var commands = new List<XElement>();
foreach (var type in assembly.GetExportedTypes().Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null).OrderBy(t => t.Name))
{
    var cmdlet = type.GetCustomAttribute<CmdletAttribute>()!;
    var name = $"{cmdlet.VerbName}-{cmdlet.NounName}";
    docs.TryGetValue($"T:{type.FullName}", out var typeDoc);
    var synopsis = Text(Para(typeDoc, "synopsis"));
    var description = Text(Para(typeDoc, "description"));
    if (synopsis.Length == 0) problems.Add($"{name}: no synopsis");
    var parameters = type.GetProperties()
        .Select(p => (Property: p, Attributes: p.GetCustomAttributes<ParameterAttribute>().ToList()))
        .Where(p => p.Attributes.Count > 0)
        .ToList();
    XElement Parameter((PropertyInfo Property, List<ParameterAttribute> Attributes) p, ParameterAttribute a)
    {
        var typeName = p.Property.PropertyType == typeof(SwitchParameter) ? "SwitchParameter" : p.Property.PropertyType.Name.Replace("Nullable`1", "");
        docs.TryGetValue($"P:{p.Property.DeclaringType!.FullName}.{p.Property.Name}", out var propertyDoc);
        var text = Text(Para(propertyDoc, "description"));
        if (text.Length == 0) problems.Add($"{name} -{p.Property.Name}: no description");
        var validateSet = p.Property.GetCustomAttribute<ValidateSetAttribute>();
        if (validateSet is not null) text += $" Allowed values: {string.Join(", ", validateSet.ValidValues)}.";
        var aliases = p.Property.GetCustomAttribute<AliasAttribute>()?.AliasNames ?? [];
        return new XElement(command + "parameter",
            new XAttribute("required", a.Mandatory ? "true" : "false"),
            new XAttribute("globbing", "false"),
            new XAttribute("pipelineInput", a.ValueFromPipeline ? "true (ByValue)" : "false"),
            new XAttribute("position", a.Position >= 0 ? a.Position.ToString() : "named"),
            new XAttribute("aliases", aliases.Count > 0 ? string.Join(", ", aliases) : "none"),
            new XElement(maml + "name", p.Property.Name),
            Paras(maml + "description", text),
            new XElement(command + "parameterValue", new XAttribute("required", typeName == "SwitchParameter" ? "false" : "true"), typeName),
            new XElement(dev + "type", new XElement(maml + "name", typeName)));
    }
    var sets = parameters.SelectMany(p => p.Attributes.Select(a => a.ParameterSetName)).Where(s => s != ParameterAttribute.AllParameterSets).Distinct().DefaultIfEmpty(ParameterAttribute.AllParameterSets);
    var syntax = new XElement(command + "syntax", sets.Select(set => new XElement(command + "syntaxItem",
        new XElement(maml + "name", name),
        parameters.SelectMany(p => p.Attributes.Where(a => a.ParameterSetName == set || a.ParameterSetName == ParameterAttribute.AllParameterSets).Take(1).Select(a => Parameter(p, a))))));
    var examples = typeDoc?.Descendants("example").Select((e, i) => new XElement(command + "example",
        new XElement(maml + "title", $"-------------------------- EXAMPLE {i + 1} --------------------------"),
        new XElement(dev + "code", e.Element("code")?.Value.Trim() ?? ""),
        new XElement(dev + "remarks", new XElement(maml + "para", Text(e.Element("para")))))).ToList() ?? [];
    if (examples.Count == 0) problems.Add($"{name}: no example");
    commands.Add(new XElement(command + "command",
        new XAttribute(XNamespace.Xmlns + "maml", maml), new XAttribute(XNamespace.Xmlns + "command", command), new XAttribute(XNamespace.Xmlns + "dev", dev),
        new XElement(command + "details",
            new XElement(command + "name", name),
            Paras(maml + "description", synopsis),
            new XElement(command + "verb", cmdlet.VerbName),
            new XElement(command + "noun", cmdlet.NounName)),
        Paras(maml + "description", description.Length > 0 ? description : synopsis),
        syntax,
        new XElement(command + "parameters", parameters.Select(p => Parameter(p, p.Attributes[0]))),
        new XElement(command + "examples", examples)));
}
new XDocument(new XElement(msh + "helpItems", new XAttribute("schema", "maml"), commands)).Save(args[2]);
foreach (var problem in problems)
{
    Console.Error.WriteLine($"HelpGen: warning: {problem}");
}
Console.WriteLine($"HelpGen: {commands.Count} cmdlets -> {args[2]}");
return 0;
