import torch

from train_tiny import train as T


def test_short_padding_with_pad_count_bias_equals_the_apps_512_and_77_token_inputs(tmp_path):
    torch.set_num_threads(1)
    clip, t5, transformer, _ = T.build_models(0)
    clip_tok, t5_tok, _, _ = T.tokenizers(tmp_path)
    t5_caps = ["a tomato", "a photo of a house"]
    clip_caps = ["a rotten tomato", "a photo of a winter house"]
    x, t = torch.randn(2, 16, 64, generator=torch.Generator().manual_seed(0)), torch.tensor([0.7, 0.3])
    with torch.no_grad():
        for app_len in (512, 256):
            short, bias = T.t5_tokens(t5, t5_tok, t5_caps, [app_len, app_len])
            pooled = T.clip_pooled(clip, clip_tok, clip_caps)
            v_train = T.transformer_forward(transformer, x, t, short, pooled, bias, T.img_ids_for())
            ids = t5_tok(t5_caps, padding="max_length", max_length=app_len, return_tensors="pt").input_ids
            ids77 = clip_tok(clip_caps, padding="max_length", max_length=77, return_tensors="pt").input_ids
            p77 = clip(ids77).pooler_output
            v_app = transformer(hidden_states=x, encoder_hidden_states=t5(ids).last_hidden_state,
                                pooled_projections=p77, timestep=t, img_ids=T.img_ids_for(),
                                txt_ids=torch.zeros(app_len, 3), return_dict=False)[0]
            assert torch.allclose(pooled, p77, atol=1e-5)
            assert torch.allclose(v_train, v_app, atol=1e-4), (v_train - v_app).abs().max()
            # and the bias matters: without it the short padding is not the app's input
            v_nobias = T.transformer_forward(transformer, x, t, short, pooled, torch.zeros_like(bias), T.img_ids_for())
            assert not torch.allclose(v_nobias, v_app, atol=1e-3)
