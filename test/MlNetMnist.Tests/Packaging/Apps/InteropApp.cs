using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.ML;
using Microsoft.ML.TorchSharp;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines.Autograd;

// An app with our packages (the add-on too) and Microsoft.ML.TorchSharp: our MLP and ML.NET's five TorchSharp trainers
// build in one MLContext (Fit of those downloads pretrained weights: not tried). Then, since both packages share one
// TorchSharp, every TorchSharp member that Microsoft.ML.TorchSharp references and this TorchSharp lacks, with the
// types whose code calls it (a call to one throws MissingMethodException when it runs).
var ml = new MLContext(seed: 1);
var mlp = ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Engine = AutogradEngine.Instance });
Console.WriteLine($"built Mlp: {mlp.GetType().Name}");
var catalog = new (string Name, Func<object> Build)[]
{
    ("TextClassification", () => ml.MulticlassClassification.Trainers.TextClassification()),
    ("SentenceSimilarity", () => ml.Regression.Trainers.SentenceSimilarity()),
    ("NamedEntityRecognition", () => ml.MulticlassClassification.Trainers.NamedEntityRecognition()),
    ("QuestionAnswer", () => ml.MulticlassClassification.Trainers.QuestionAnswer()),
    ("ObjectDetection", () => ml.MulticlassClassification.Trainers.ObjectDetection()),
};
foreach (var (name, build) in catalog)
{
    try { Console.WriteLine($"built {name}: {build().GetType().Name}"); }
    catch (Exception e) { Console.WriteLine($"failed {name}: {e.GetType().Name}: {e.Message}"); }
}

// Member references that do not resolve against the loaded assemblies.
var assembly = typeof(TorchSharpCatalog).Assembly;
var module = assembly.ManifestModule;
using var pe = new PEReader(File.OpenRead(assembly.Location));
var md = pe.GetMetadataReader();
var missing = new Dictionary<int, string>();
foreach (var handle in md.MemberReferences)
{
    int token = MetadataTokens.GetToken(handle);
    try { module.ResolveMember(token); }
    catch (Exception e) when (e is MissingMemberException or TypeLoadException)
    {
        var r = md.GetMemberReference(handle);
        missing[token] = md.GetString(r.Name);
    }
    catch (ArgumentException) { } // a member of an open generic type: not resolvable without its context
}
for (int row = 1; row <= md.GetTableRowCount(TableIndex.MethodSpec); row++)
    if (MetadataTokens.MethodSpecificationHandle(row) is var handle && md.GetMethodSpecification(handle).Method is { Kind: HandleKind.MemberReference } m && missing.TryGetValue(MetadataTokens.GetToken(m), out var n))
        missing[MetadataTokens.GetToken(handle)] = n;

// Which types call them: walk each method's IL, operand sizes from the OpCodes table.
var opcodes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
    .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => (ushort)o.Value);
var users = new SortedSet<string>();
foreach (var typeHandle in md.TypeDefinitions)
{
    var type = md.GetTypeDefinition(typeHandle);
    foreach (var methodHandle in type.GetMethods())
    {
        var method = md.GetMethodDefinition(methodHandle);
        if (method.RelativeVirtualAddress == 0) continue;
        var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!;
        for (int i = 0; i < il.Length;)
        {
            ushort value = il[i] == 0xFE ? (ushort)(0xFE00 | il[i + 1]) : il[i];
            i += value > 0xFF ? 2 : 1;
            var op = opcodes[value];
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok
                && missing.TryGetValue(BitConverter.ToInt32(il, i), out var name))
            {
                var outer = type;
                while (outer.GetDeclaringType() is { IsNil: false } d) outer = md.GetTypeDefinition(d);
                users.Add($"{md.GetString(outer.Namespace)}.{md.GetString(outer.Name)} -> {name}");
            }
            i += size;
        }
    }
}
Console.WriteLine($"missing references: {string.Join(", ", missing.Values.Distinct().Order())}");
foreach (var user in users) Console.WriteLine($"calls missing: {user}");
