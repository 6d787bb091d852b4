import Foundation

/// Tiny images made once with the ffmpeg CLI (commands in the comments), embedded so the suite needs no
/// resource bundle and no ffmpeg binary at test time.
enum ImageFixtures {
    /// 64x48 ffmpeg testsrc pattern, mjpeg -q:v 5
    static let testsrcJPEG = decode(
        """
        /9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgKCgsKCw0NDQ0NDRAPEBAQEBAQEBAQEBASEhIVFRUS
        EhIQEBISFBQVFRcXFxUVFRUXFxkZGR4eHBwjIyQrKzP/xAC8AAACAgMBAQAAAAAAAAAAAAAABwYIBAUDAgEBAAIDAQEBAAAAAAAA
        AAAAAAAGBwQIBQIBEAACAQIEAgUGBhMBAAAAAAABAgMAEQUEEjEhBlEHQVITYrFDIhQjFRaBkuPTwuGjs8S0w4QyJEQ1gmFFcWN1
        8EIRAAEDAgMDBQYSCwEAAAAAAAEAAgMEERIhBRMGMUFRcTIUIsHDFYMk45KEo6TUxNPCYYEXUkRiYwdD4dEW0kWxZILw5JOR/8AA
        EQgAMABAAwESAAISAAMSAP/aAAwDAQACEQMRAD8Ar/W4wbC5caxLK5CI6WnkCluB0IAWkkszIG0Rhm06gWtYcaEIQmthOEnOESyg
        iEH+xkI7B5Peb5Bx2YEUUcEaxxqFVRYAf9v0k8SaoabppqjtJLiIHoMhHIPi5z8g+J2jjZExrGNDWtFgB/n/AKeVNe+2+0egxuoq
        JzZNQe3M5ObSNcMnvBuDKRnHGcrd28YbB2YKysqdQqZaqqldNNK7E97uJPDgLAACwa0ANa0AAABLxmLksxuTua80y09PDSQshhYI
        44xZrRwA/mSTmScyczmrC2rS0tPQ08dPTxtiiibhYxvAD5cySc3OJJcSSTdWks6Ka0LP6FcWisAITUhLIgEWPGvtN7Hujc17HFjm
        kOa5pIc0g3BBGYIPAheFAUcj4ntkjc5j2ODmuaS1zXA3DmkZgg5gjMLwsHCcZM5EGZI8Qn1HsAHv/wCTawDd3sO2+8FVipDKSCCC
        CDYgjYg9NS3puq7Y7GcjGT3D8gHfZNrAHm5+HHinAlpBBIINwRkQRyhSvvtuCNNjdqOkxuNMxt6imxOkdAGjOZheXPdFyyAkujPd
        dS+HR8kcc0b45GNkY9pY9jwHNe1wsWuabggjIg5EK2NQ/lHHPh/BcvmXN509xmeHpowLtwRF94pWSyDSuvTfhTUhQIhIzqsjjfmC
        ZmRWMeRmdCQCUYywpqUn9E6WZbjjpYjY106qv39mf9fL+MZehCEJp0U1oWf0Ja0U0oW60JZ0U1oWf0K4tFYAQmpCWdFNiFn9CWtF
        NKFupCm/VJJIY8XjLsUVso6pc6VZxOGYLsCwRQxHEhRfavHVH/WfzL8JprQoAQo1yrhEmHYplcQjzCsYWa8bQmzK6NG41CUWOljp
        axAaxII4VE8rzVn8pbRFlTbvLIfNKKXJ9a2P5GLylvgFWJdHp5us+UdBb+4U3VO73Z7+c4vJW8IVUn1+rn6zIB0Nf35CrJey+7D6
        9+y326heR5pklYQ5pIY1PBXUMAp8vU7cD09nbw2q/t13WHxf7I9AXLo9E02Sa1RLUsDuDmvjAB+1eI5Hn5OVRDVbm9mv57i8hbwx
        Uzb1aBXMojUaUBUSR3dLTyAukkZzwYCy725nZkEvHVOIAO4y4T4Zt41/4LfZ1wkxPMOfWSMEdlmHnanaLf8A2hA8XWv/AFN/c66c
        G5GkYWvjqKx7XAOa4SQua4EXBBEFiCOBC4NT+InZzbxbi9VW9zldR+4mjVrWyCprHNeA5ro5YC1zXC4c07AggjMEcVoV5N1ftv3D
        6atcvN2IL6LK/Ml+uprpN8u1W8ywX+/v4ELo0+6On01sEtUbfSfF3oQoYdvHh+reu+hq4d3qQ/mT+mZ72nDneY/Y7/q2u3+XT+TN
        Zma5fymbvrecX7rIPPGaheD8N9t/E8PqW/ukLjRfiFq8PVgoD0xz+2AutTb09ot5ph8tfwQV+Ddmip+rJUnpdH3oglJ8ZfeFPZdu
        3xfo6zfi7k9ZfxMxc+UlvvdSL823c4vGnsT/AGVxvnD1i1thQf8AOf2wlql3c7TbznD5K/hAqdPvDV0/VjgPS1/ekC0UUXiC97fJ
        epRheDyOhfMa4l2VbWkP8zqBsOgWud9t2CXc/Zgntt7fcW8MunS6pqNU1zqmKCIHJrQyRr+k4pDYcwtc8enV9NqHaBfZ4f7r/BCh
        3eLfik0WRlNoroa6QWdNO921pmgjKOMwuZtH8C5wdhZ1c3E4evLONR8r4ccmuWbMl5nneQzCMFmCrZUELaQFRd2Ylrm9jYMFuR8L
        b02d+fD9RS1Vs7LfPHb5P1r5UPNTfHYX+j+m6dW7qYvrnrPoqoDeiuH5dN6WT31f/9k=
        """
    )

    /// 33x17 solid #FF0000 (odd size, 4:2:0): ffmpeg -f lavfi -i "nullsrc=s=33x17,geq=r=255:g=0:b=0" -frames:v 1 -pix_fmt yuvj420p -q:v 2
    static let redJPEG = decode(
        """
        /9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgEBAQEBAUFBQUFBQYGBgYGBgYGBgYGBgYHBwcICAgH
        BwcGBgcHCAgICAkJCQgICAgJCQoKCgwMCwsODg4RERT/xABSAAEBAAAAAAAAAAAAAAAAAAAABgEBAQEBAAAAAAAAAAAAAAAAAAYB
        BxABAAAAAAAAAAAAAAAAAAAAABEBAQEBAQAAAAAAAAAAAAAAAAESkVH/wAARCAARACEDASIAAhEAAxEA/9oADAMBAAIRAxEAPwCL
        ASjv4AAAzU9nQAaAAACtTD//2Q==
        """
    )

    /// 16x16 solid #808080, grayscale JPEG
    static let grayJPEG = decode(
        """
        /9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgEBAQEBAUFBQUFBQYGBgYGBgYGBgYGBgYHBwcICAgH
        BwcGBgcHCAgICAkJCQgICAgJCQoKCgwMCwsODg4RERT/xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEA
        AAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgAEAAQAwESAAISAAMSAP/aAAwDAQACEQMRAD8AAAAA/9k=
        """
    )

    /// 64x48 ffmpeg testsrc pattern, libwebp lossy (VP8)
    static let testsrcWebP = decode(
        """
        UklGRvoCAABXRUJQVlA4IO4CAAAwEwCdASpAADAAPm0ykUWkIyGWrmW0QAbEtgBkDqC8AOlKszzP8YP2A6SXXruH+wGWu8geAB+G
        fyA+wD1AP5z+PXAA/Sf9Y+EA/2vUeegB5QX+q/3Xwhfsz+qHtAZoB2Af25VgOrLlN9cD9APYA/SATQCW8FlUoSYVgcVVqcqHoipW
        fCtsr3yBk5ozSmYyANy+sQ/YUc2Kpq8U14BGCt9xNQAA/vfbGfoKCocv+D9tUXVxcEW+pnNNgzXXgIJAwltNy/jxMP2X+sdWzfyF
        SXwji2AJBo5/H6/jlaz+riV2amvZAHwFum4uLJGg5Lh9q3//wFwsjXZ65z7PW3pCvmQa+Ptd5I78/RaEvkikglzvHBYTWn6/RaTH
        66KHH424/385rG1jHUhB7hXvvaz80IFbKvWabEHP9Kl2WIrVz0ZYpIN+NRdPLmfU2xzLyTW4JOaj5Vu9x34ebmPGZzcRq4qj+wNP
        +8F2yevwCFGiJzAFP/HL3T6D4juKp1veEs7j7MSbc/+qyfE/ExweP5MnqwcNeVrBfIjfL7+M4CGxvAPlDrRRYdn/xTEJ2bq7+N44
        Ec6IR78z2Dz0F2KMQ/y3hXnktj7uKUvWTrn6FHRvGcf7i9hCBzqQGMWqosDcgdWSTZSgur/QvnWk4NCkMDGzI1ivhJNTasyyhDXK
        ZeK+D79kLUOwtyBCMLweF37m2RP5ab5ZyXh7iQpG1GpxoLro9OMMOWqMZFuGjVvsRMnsSVmLWXdLRS2zO1vVidDU/6QDMlv8gbDJ
        N2aYRx9VIrTQepO8e3Uq9WKWHBS0JLAtnFHe3py0Kr2L2cAh+iLS8Aq4S0gwjDfbCuH7WOu9EgnGyP0krJIsMdopRGOAIJhK/rrw
        Sfkyk7ZerqhD7x9u/yAVTq2X+SX/ct8k9+HxA+ZCshPx/xpynjvL/foZbhcyQtxBr/H6BhJGV6b3GSBHE9e+RTWGHmZq/ocFcuzw
        6XdITlg/ngx0uYY+2zLT4TRAAAA=
        """
    )

    /// 40x30 solid #0000FF, libwebp lossy (VP8)
    static let blueWebP = decode(
        """
        UklGRkwAAABXRUJQVlA4IEAAAABQAwCdASooAB4APjEYikOiIaEStAAgAwSzgDsAfgAAK/fDcAD+/V3P///CzP4WZ/CzP/hZn//w
        q3DEMnQAAAAA
        """
    )

    /// 20x10 #00FF00 at alpha 0.5, libwebp lossless (VP8L)
    static let greenAlphaLosslessWebP = decode(
        """
        UklGRhwAAABXRUJQVlA4TA8AAAAvE0ACEAfQ/4j+BSKi/wEA
        """
    )

    /// 24x12 #FFFF00 at alpha 0.25, libwebp lossy with alpha (VP8X + ALPH)
    static let yellowAlphaLossyWebP = decode(
        """
        UklGRmwAAABXRUJQVlA4WAoAAAAQAAAAFwAACwAAQUxQSAoAAAABB9CfiAhERP8DVlA4IDwAAAAQAwCdASoYAAwAPjEUiEKiISEY
        BAAgAwSgB2APwAAQigAA/v0Vu///w2b+Gzfw2b/4bN//8D8unDEAAAA=
        """
    )

    private static func decode(_ base64: String) -> [UInt8] {
        [UInt8](Data(base64Encoded: base64.filter { !$0.isWhitespace }) ?? Data())
    }
}
