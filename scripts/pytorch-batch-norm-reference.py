#!/usr/bin/python3
"""PyTorch's BatchNorm, trained with plain SGD, as a reference for batchlab's pytorch convention.

Writes test/fixtures/pytorch-batch-norm.json, which test/models/bn-convention-pytorch.test.ts
reads; CI reads the committed file and does not need PyTorch. Regenerate with Debian's
python3-torch (apt-get install python3-torch):

    /usr/bin/python3 scripts/pytorch-batch-norm-reference.py

Two models, each the twin of a batchlab builder with batchNorm and bnConvention 'pytorch':
  mlp  mlp({ hidden: [8, 6] }) on [5] features: Linear(no bias) -> BatchNorm1d -> ReLU, twice, then
       Linear(6, 3).
  cnn  cnn({ filters: [4], dense: 6 }) on [6, 6, 2] images: Conv2d 3x3 padding 1 (no bias) ->
       BatchNorm2d -> ReLU -> MaxPool2d(2), flattened in NHWC order (as tfjs' Flatten does) ->
       Linear(no bias) -> BatchNorm1d -> ReLU -> Linear(6, 3).
Both train for 2 epochs on the 40 stored samples in stored order, batches of 16 (16, 16, 8),
softmax cross-entropy, SGD with learning rate 0.1, torch's BatchNorm defaults (momentum 0.1,
epsilon 1e-5, unbiased running variance).

The fixture holds everything in tfjs layout: images NHWC, conv kernels [kh, kw, in, out] (torch:
[out, in, kh, kw]), dense kernels [in, out] (torch: [out, in]). Per weighted layer, in model order,
its weights as tfjs lists them (kernel[, bias]; gamma, beta, moving mean, moving variance). Inputs
and initial weights are rounded to 6 significant digits, so both sides parse the same float32s.
"""
import json
import os

import torch
from torch import nn

SAMPLES, CLASSES, BATCH, EPOCHS, LEARNING_RATE = 40, 3, 16, 2, 0.1
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'pytorch-batch-norm.json')


def rounded(t):
    """Values with 6 significant digits, as float32, so the JSON text is exactly what both sides load."""
    return torch.tensor([float('%.6g' % v) for v in t.flatten().tolist()], dtype=torch.float32).reshape(t.shape)


def values(t, digits=9):
    return [float('%.*g' % (digits, v)) for v in t.detach().flatten().tolist()]


class NhwcFlatten(nn.Module):
    """Flattens NCHW activations in NHWC order, as tfjs' Flatten sees them."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


def mlp():
    return nn.Sequential(
        nn.Linear(5, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(),
        nn.Linear(8, 6, bias=False), nn.BatchNorm1d(6), nn.ReLU(),
        nn.Linear(6, CLASSES),
    )


def cnn():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        NhwcFlatten(),
        nn.Linear(36, 6, bias=False), nn.BatchNorm1d(6), nn.ReLU(),
        nn.Linear(6, CLASSES),
    )


def randomize(model, generator):
    """Initial weights off the defaults (gamma and beta too), rounded to what the fixture stores."""
    with torch.no_grad():
        for module in model:
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                module.weight.copy_(rounded(torch.randn(module.weight.shape, generator=generator) * 0.5))
                if module.bias is not None:
                    module.bias.copy_(rounded(torch.randn(module.bias.shape, generator=generator) * 0.1))
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.weight.copy_(rounded(1 + 0.2 * torch.randn(module.weight.shape, generator=generator)))
                module.bias.copy_(rounded(0.1 * torch.randn(module.bias.shape, generator=generator)))


def tfjs_weights(model):
    """Each weighted layer's weights in tfjs' layout and order."""
    layers = []
    for module in model:
        if isinstance(module, nn.Conv2d):
            layers.append({'layer': 'Conv2D', 'weights': [tensor_entry(module.weight.permute(2, 3, 1, 0))]})
        elif isinstance(module, nn.Linear):
            kernel = [tensor_entry(module.weight.t())]
            bias = [tensor_entry(module.bias)] if module.bias is not None else []
            layers.append({'layer': 'Dense', 'weights': kernel + bias})
        elif isinstance(module, nn.modules.batchnorm._BatchNorm):
            stats = [module.weight, module.bias, module.running_mean, module.running_var]
            layers.append({'layer': 'BatchNormalization', 'weights': [tensor_entry(t) for t in stats]})
    return layers


def tensor_entry(t):
    return {'shape': list(t.shape), 'values': values(t)}


def run(model, x_nhwc_or_flat, labels, generator):
    randomize(model, generator)
    initial = tfjs_weights(model)
    x = x_nhwc_or_flat.permute(0, 3, 1, 2) if x_nhwc_or_flat.dim() == 4 else x_nhwc_or_flat
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    losses = []
    model.train()
    for _ in range(EPOCHS):
        for start in range(0, SAMPLES, BATCH):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[start:start + BATCH]), labels[start:start + BATCH])
            loss.backward()
            optimizer.step()
            losses.append(float('%.9g' % loss.item()))
    model.eval()
    with torch.no_grad():
        logits = model(x)
    moving = [
        {'mean': values(m.running_mean), 'variance': values(m.running_var)}
        for m in model if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    return {
        'inputShape': list(x_nhwc_or_flat.shape[1:]),
        'x': values(x_nhwc_or_flat),
        'initialWeights': initial,
        'losses': losses,
        'movingStatistics': moving,
        'evalLogits': values(logits),
    }


def main():
    generator = torch.Generator().manual_seed(13)
    labels = torch.randint(0, CLASSES, (SAMPLES,), generator=generator)
    fixture = {
        'about': 'PyTorch BatchNorm reference written by scripts/pytorch-batch-norm-reference.py',
        'torch': torch.__version__,
        'samples': SAMPLES,
        'batchSize': BATCH,
        'epochs': EPOCHS,
        'learningRate': LEARNING_RATE,
        'labels': labels.tolist(),
        'models': {
            'mlp': run(mlp(), rounded(torch.randn(SAMPLES, 5, generator=generator)), labels, generator),
            'cnn': run(cnn(), rounded(torch.randn(SAMPLES, 6, 6, 2, generator=generator)), labels, generator),
        },
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print(f'{os.path.normpath(OUT)}: {os.path.getsize(OUT)} bytes, losses',
          {k: v['losses'] for k, v in fixture['models'].items()})


if __name__ == '__main__':
    main()
