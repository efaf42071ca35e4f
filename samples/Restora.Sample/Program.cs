using Restora;

// dotnet run -- NOISY.png CLEAN.png: removes the noise with the denoiser Restora ships.
if (args.Length != 2) { Console.Error.WriteLine("usage: Restora.Sample INPUT OUTPUT"); return 1; }
using var model = RestorationModel.Open("restora-denoise");
using var image = RestoraImage.Load(args[0]);
using var clean = model.Restore(image, new RestoreOptions { Log = Console.WriteLine }); // sigma estimated from the image
clean.Save(args[1]);                                                                    // metadata carried
Console.WriteLine($"{model}: {image.Width}x{image.Height} -> {args[1]}");
return 0;
