/// How a provider wants its edit mask (provider config `mask_mode`).
public enum MaskMode: String, Sendable, CaseIterable {
    /// OpenAI style: RGBA PNG, alpha 0 where the image is to be edited.
    case alpha
    /// Grayscale PNG, white (255) where the image is to be edited, black elsewhere (Stable Diffusion WebUI).
    case whiteEdits = "white_edits"
    /// Grayscale PNG, black (0) where the image is to be edited, white elsewhere.
    case blackEdits = "black_edits"
}

/// For a mask without (meaningful) alpha: which colour marks the area to edit.
public enum MaskEditColor: String, Sendable, CaseIterable {
    case white, black
}
