// A fresh app's use of the ONNX package: the checked export of the lesson's pipeline, scored back by ONNX Runtime.
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Onnx;

var ml = new MLContext(seed: 1);
var data = ml.Data.LoadMnist(await MnistFiles.EnsureAsync());
var model = ml.Transforms.ScalePixels("Features", "Pixels")
    .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Epochs = 1 }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"))
    .Fit(ml.Data.TakeRows(data.Train, 5000));
using (var stream = File.Create("mnist.onnx")) OnnxExport.Export(ml, model, data.Train.Schema, stream);

var test = ml.Data.TakeRows(data.Test, 1000);
var ours = model.Transform(test).GetColumn<float[]>("Score").ToArray();
var onnx = ml.Transforms.ApplyOnnxModel("mnist.onnx").Fit(test).Transform(test).GetColumn<float[]>("Score").ToArray();
double largest = ours.Zip(onnx, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
int disagree = ours.Zip(onnx).Count(p => Array.IndexOf(p.First, p.First.Max()) != Array.IndexOf(p.Second, p.Second.Max()));
Console.WriteLine($"onnx rows {onnx.Length}, largest difference {largest:E2}, classes that differ {disagree}");
