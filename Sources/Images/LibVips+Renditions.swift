import CVips

/// The shim's rendition, hashing and description calls, as owned Swift values.
extension LibVips {
    /// One encoded rendition and its size in pixels.
    struct Rendered: Sendable, Equatable {
        var bytes: [UInt8]
        var width: Int
        var height: Int
    }

    /// Shrink-on-load to fit `longSide` (nil: full size), upright, 8-bit sRGB, alpha flattened onto
    /// `background` for JPEG, metadata stripped, encoded as `format` at `quality`.
    static func render(
        _ bytes: [UInt8], longSide: Int?, format: OutputFormat, quality: Int, background: RGB
    ) -> Result<Rendered, LibVipsError> {
        assertOnImageThread()
        var output: UnsafeMutableRawPointer?
        var length = 0
        var width: Int32 = 0
        var height: Int32 = 0
        // 0 asks the shim for the full size.
        let side: Int32 = longSide.map { Int32(clamping: max($0, 1)) } ?? 0
        let colour = [Double(background.red), Double(background.green), Double(background.blue)]
        var error = ErrorText()
        let status = bytes.withUnsafeBytes { raw in
            error.withBuffer { errorBuffer, errorLength in
                cvips_render(raw.baseAddress, raw.count, side,
                             format.cvipsCode, Int32(clamping: quality), colour, &output, &length,
                             &width, &height, errorBuffer, errorLength)
            }
        }
        guard status == 0, let output else { return .failure(LibVipsError(message: error.text)) }
        defer { cvips_free(output) }
        var encoded = Array(UnsafeRawBufferPointer(start: output, count: length))
        if format == .webp { encoded = WebPMetadata.stripped(encoded) }
        return .success(Rendered(bytes: encoded, width: Int(width), height: Int(height)))
    }

    /// The upright picture shrunk to exactly `width` x `height` (aspect ignored), flattened onto white,
    /// as 8-bit grey samples, row-major.
    static func greyThumbnail(_ bytes: [UInt8], width: Int, height: Int) -> Result<[UInt8], LibVipsError> {
        assertOnImageThread()
        var pixels = [UInt8](repeating: 0, count: width * height)
        var error = ErrorText()
        let status = bytes.withUnsafeBytes { raw in
            pixels.withUnsafeMutableBufferPointer { samples in
                error.withBuffer { errorBuffer, errorLength in
                    cvips_grey_thumbnail(raw.baseAddress, raw.count, Int32(width), Int32(height),
                                         samples.baseAddress, errorBuffer, errorLength)
                }
            }
        }
        if status != 0 { return .failure(LibVipsError(message: error.text)) }
        return .success(pixels)
    }

    static func describe(_ bytes: [UInt8]) -> Result<ImageDescription, LibVipsError> {
        var info = cvips_description()
        var error = ErrorText()
        let status = bytes.withUnsafeBytes { raw in
            error.withBuffer { cvips_describe(raw.baseAddress, raw.count, &info, $0, $1) }
        }
        if status != 0 { return .failure(LibVipsError(message: error.text)) }
        let space: ImageDescription.ColourSpace = switch info.space {
        case CVIPS_SPACE_SRGB: .sRGB
        case CVIPS_SPACE_CMYK: .cmyk
        case CVIPS_SPACE_RGB16: .rgb16
        case CVIPS_SPACE_BW: .blackAndWhite
        case CVIPS_SPACE_GREY16: .grey16
        default: .other
        }
        return .success(ImageDescription(
            width: Int(info.width), height: Int(info.height), bands: Int(info.bands), colourSpace: space,
            bitsPerSample: Int(info.bitsPerSample), orientation: Int(info.orientation),
            hasEXIF: info.hasExif != 0, hasXMP: info.hasXmp != 0, hasIPTC: info.hasIptc != 0,
            hasICCProfile: info.hasIcc != 0))
    }

    /// The band values of the pixel at (`x`, `y`), decoding the image.
    static func pixel(_ bytes: [UInt8], x: Int, y: Int) -> Result<[Double], LibVipsError> {
        var values = [Double](repeating: 0, count: 8)
        var bands: Int32 = 0
        var error = ErrorText()
        let status = bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { buffer in
                error.withBuffer { errorBuffer, errorLength in
                    cvips_pixel(raw.baseAddress, raw.count, Int32(clamping: x), Int32(clamping: y),
                                buffer.baseAddress, Int32(buffer.count), &bands, errorBuffer, errorLength)
                }
            }
        }
        if status != 0 { return .failure(LibVipsError(message: error.text)) }
        return .success(Array(values.prefix(min(Int(bands), values.count))))
    }
}

extension OutputFormat {
    var cvipsCode: Int32 {
        switch self {
        case .jpeg: CVIPS_FORMAT_JPEG
        case .webp: CVIPS_FORMAT_WEBP
        }
    }
}
