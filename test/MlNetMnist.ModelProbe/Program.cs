using Microsoft.ML;

// ModelProbe <model.zip> <input.idv> <output.idv>: ml.Model.Load, transform, save the result (atomically).
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ModelProbe <model.zip> <input.idv> <output.idv>");
    return 2;
}
try
{
    var ml = new MLContext();
    var model = ml.Model.Load(args[0], out _);
    var input = ml.Data.LoadFromBinary(args[1]);
    string temp = args[2] + ".tmp";
    using (var stream = File.Create(temp))
        ml.Data.SaveAsBinary(model.Transform(input), stream, keepHidden: false);
    File.Move(temp, args[2], overwrite: true);
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
    return 1;
}
