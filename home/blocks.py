"""StreamField blocks shared across page types."""

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    level = blocks.ChoiceBlock(choices=[("h2", "Heading 2"), ("h3", "Heading 3")], default="h2")

    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    text = blocks.RichTextBlock(features=["bold", "italic", "link"])

    class Meta:
        icon = "help"
        template = "blocks/callout_block.html"


class FAQItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=200)
    answer = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "help"


class FAQBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, required=False, default="Frequently asked questions")
    items = blocks.ListBlock(FAQItemBlock())

    class Meta:
        icon = "list-ul"
        template = "blocks/faq_block.html"


class PromoBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80)
    text = blocks.TextBlock(max_length=240)
    link_page = blocks.PageChooserBlock(required=False)
    link_url = blocks.URLBlock(required=False)
    link_text = blocks.CharBlock(max_length=40, default="Learn more")
    image = ImageChooserBlock(required=False)

    class Meta:
        icon = "pick"
        template = "blocks/promo_block.html"


class PromoRowBlock(blocks.StructBlock):
    promos = blocks.ListBlock(PromoBlock(), min_num=1, max_num=4)

    class Meta:
        icon = "grip"
        template = "blocks/promo_row_block.html"


class FeaturedReadersBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80, default="Featured readers")
    readers = blocks.ListBlock(
        blocks.PageChooserBlock(page_type="readers.ReaderPage"), min_num=1, max_num=12
    )

    class Meta:
        icon = "group"
        template = "blocks/featured_readers_block.html"


class BodyStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        features=["h2", "h3", "bold", "italic", "link", "ol", "ul", "hr"], icon="pilcrow"
    )
    image = ImageChooserBlock(template="blocks/image_block.html")
    callout = CalloutBlock()
    faq = FAQBlock()


class HomeStreamBlock(blocks.StreamBlock):
    featured_readers = FeaturedReadersBlock()
    promos = PromoRowBlock()
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link"], icon="pilcrow")
    faq = FAQBlock()
